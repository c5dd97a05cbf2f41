package tests

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oidcDiscovery reports whether the server has its OpenID provider (issue
// 10): the demo app signs in through it. The probe bypasses the spec
// check, which knows no /oidc paths until the provider types them.
func oidcDiscovery(t *testing.T, f *Foyer) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(f.Port)+"/oidc/.well-known/openid-configuration", nil)
	require.NoError(t, err)
	req.Host = "localhost:" + strconv.Itoa(f.Port)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return false
	}
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET /oidc/.well-known/openid-configuration")
	return true
}

// TestHostedDemoApp: the dev-mode demo app signs in through the OpenID
// provider as the public client "demo" (code + PKCE), shows the ID token's
// claims and amr, adds a passkey through the hosted pages, and signs out
// through end_session.
func TestHostedDemoApp(t *testing.T) {
	f := startFoyer(t, nil)
	b := newBrowser(t, f, passkeyDevice())
	b.Open("/")
	require.False(t, Eval[bool](b, `document.querySelector('[data-view=out]').hidden`))
	b.Screenshot("demo-light")
	b.DarkMode(true)
	b.Screenshot("demo-dark")
	b.DarkMode(false)
	if !oidcDiscovery(t, f) {
		t.Skip("the OpenID provider is not in this build yet (GET /oidc/.well-known/openid-configuration answers 404): " +
			"this test runs by itself once issue 10 is merged")
	}

	b.Click("[data-sign-in]")
	b.WaitStep("sign-in")
	b.Click("[data-go=register]")
	b.WaitStep("register")
	b.Type("#username", "demo_user")
	b.Type("#new-password", strongPassword)
	b.Click("[data-step=register] button[type=submit]")
	signedIn := `location.pathname === '/' && !document.querySelector('[data-view=in]').hidden`
	b.WaitFor(signedIn, "the demo app to show who signed in")
	claims := Eval[map[string]any](b, `JSON.parse(document.querySelector('[data-raw]').textContent)`)
	require.Equal(t, "demo", claims["aud"], "aud is the one client, as a string")
	require.NotEmpty(t, claims["sub"])
	require.NotEmpty(t, claims["amr"])
	b.Screenshot("demo-signed-in-light")
	b.DarkMode(true)
	b.Screenshot("demo-signed-in-dark")
	b.DarkMode(false)

	// Add a passkey: a new authorization (prompt=login) through the hosted
	// pages, which bind it after the password.
	b.Click("[data-add=WebAuthn]")
	b.WaitStep("sign-in")
	b.Type("#identifier", "demo_user")
	b.Type("#password", strongPassword)
	b.Click("#sign-in-form button[type=submit]")
	b.WaitStep("bind-passkey")
	b.Click("[data-step=bind-passkey] button[type=submit]")
	b.WaitFor(signedIn, "the demo app after adding a passkey")
	require.Len(t, b.Credentials(), 1)

	b.Click("[data-sign-out]")
	b.WaitFor(`location.pathname === '/' && !document.querySelector('[data-view=out]').hidden && document.documentElement.dataset.ready === 'true'`, "the signed-out demo app")
	require.Equal(t, 401, Eval[int](b, `fetch('/api/session').then((r) => r.status)`), "end_session ended the Foyer session")
}
