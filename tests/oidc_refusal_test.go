package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// TestOIDCAuthorizeRefusedWithoutRedirect: an unknown client, or a
// redirect URI that is not registered exactly, is answered at Foyer with an
// error and never sent to the URI (oidcc-ensure-registered-redirect-uri).
func TestOIDCAuthorizeRefusedWithoutRedirect(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	app := spaApp(t, f, tid) // https://app.acme.test/callback
	otherTid, _ := oidcTenant(t, f, "globex", nil)
	foreign := spaApp(t, f, otherTid)

	fl := newFlow(t)
	challenge := oauth2.S256ChallengeFromVerifier(fl.verifier)
	base := func(clientID, redirect string) url.Values {
		v := url.Values{"response_type": {"code"}, "scope": {"openid"}, "state": {fl.state},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		if clientID != "" {
			v.Set("client_id", clientID)
		}
		if redirect != "" {
			v.Set("redirect_uri", redirect)
		}
		return v
	}
	tests := []struct {
		name  string
		query url.Values
		error string
	}{
		{"unknown client", base("no-such-client", "https://app.acme.test/callback"), "invalid_client"},
		{"another tenant's client", base(foreign.ID, "https://app.acme.test/callback"), "invalid_client"},
		{"no client", base("", "https://app.acme.test/callback"), "invalid_request"},
		{"no redirect_uri", base(app.ID, ""), "invalid_request"},
		{"unregistered", base(app.ID, "https://evil.test/callback"), "invalid_request"},
		{"prefix of a registered one", base(app.ID, "https://app.acme.test/callback/more"), "invalid_request"},
		{"registered one as prefix", base(app.ID, "https://app.acme.test/call"), "invalid_request"},
		{"trailing slash", base(app.ID, "https://app.acme.test/callback/"), "invalid_request"},
		{"other port", base(app.ID, "https://app.acme.test:8443/callback"), "invalid_request"},
		{"http instead of https", base(app.ID, "http://app.acme.test/callback"), "invalid_request"},
		{"extra query", base(app.ID, "https://app.acme.test/callback?x=1"), "invalid_request"},
		{"other case", base(app.ID, "https://APP.acme.test/callback"), "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := browser.Do(t, http.MethodGet, "/oidc/auth?"+tt.query.Encode(), nil)
			require.Equal(t, http.StatusBadRequest, resp.Status, "%s", resp.Body)
			require.Empty(t, resp.Header.Get("Location"), "never redirected")
			require.Equal(t, tt.error, oauthError(t, resp))
			require.Nil(t, resp.Cookie(ixCookie), "no interaction started")
		})
	}
}

// TestOIDCAuthorizeRefusedAtClient: with a registered redirect URI, bad
// requests go back to the client with error and state: PKCE missing for a
// public client, "plain", a malformed challenge, another response type.
func TestOIDCAuthorizeRefusedAtClient(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	r := newRP(t, f, f.hostOf("acme"), spaApp(t, f, tid), browser)
	tests := []struct {
		name  string
		edit  func(v url.Values)
		error string
	}{
		{"no PKCE (public client)", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request"},
		{"plain", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"method omitted (means plain)", func(v url.Values) { v.Del("code_challenge_method") }, "invalid_request"},
		{"not an S256 challenge", func(v url.Values) { v.Set("code_challenge", "short") }, "invalid_request"},
		{"implicit response type", func(v url.Values) { v.Set("response_type", "id_token") }, "unauthorized_client"},
		{"no response type", func(v url.Values) { v.Del("response_type") }, "invalid_request"},
		{"no scope", func(v url.Values) { v.Del("scope") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fl := newFlow(t)
			u, _ := url.Parse(r.cfg.AuthCodeURL(fl.state, oauth2.S256ChallengeOption(fl.verifier)))
			q := u.Query()
			tt.edit(q)
			resp := browser.Do(t, http.MethodGet, "/oidc/auth?"+q.Encode(), nil)
			r.errorAt(t, resp, fl, tt.error)
		})
	}
}

// TestOIDCCodeRefused: the token endpoint refuses a wrong or missing
// verifier, another client's code, a wrong redirect URI, and a reused code,
// whose first tokens it revokes (oidcc-codereuse, oidcc-codereuse-30seconds).
func TestOIDCCodeRefused(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	signUp(t, browser, "ada", "", strongPassword)
	app := spaApp(t, f, tid)
	other := createApp(t, f, tid, map[string]any{"name": "Other SPA", "type": "spa", "redirectUris": []string{"https://app.acme.test/callback"}})
	r := newRP(t, f, f.hostOf("acme"), app, browser)
	exchangeForm := func(code, verifier, clientID, redirect string) *Response {
		return r.postForm(t, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {verifier}, "client_id": {clientID}, "redirect_uri": {redirect}}, "", "")
	}

	fl := newFlow(t)
	code := r.codeAt(t, location(t, r.authorize(t, fl)), fl)
	for _, tt := range []struct {
		name                         string
		verifier, clientID, redirect string
		error                        string
	}{
		{"wrong verifier", oauth2.GenerateVerifier(), app.ID, app.RedirectURIs[0], "invalid_grant"},
		{"no verifier", "", app.ID, app.RedirectURIs[0], "invalid_request"},
		{"another client's code", fl.verifier, other.ID, app.RedirectURIs[0], "invalid_grant"},
		{"other redirect_uri", fl.verifier, app.ID, "https://app.acme.test/other", "invalid_grant"},
		{"unknown client", fl.verifier, "nobody", app.RedirectURIs[0], "invalid_client"},
	} {
		resp := exchangeForm(code, tt.verifier, tt.clientID, tt.redirect)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized}, resp.Status, tt.name)
		require.Equal(t, tt.error, oauthError(t, resp), tt.name)
	}
	// None of those used the code up.
	resp := exchangeForm(code, fl.verifier, app.ID, app.RedirectURIs[0])
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var first struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	resp.JSON(t, &first)
	require.Equal(t, http.StatusOK, userinfo(t, f, f.hostOf("acme"), first.AccessToken).Status)
	// Another client may not use the refresh token, which stays usable.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken},
		"client_id": {other.ID}}, "", "")
	require.Equal(t, "invalid_grant", oauthError(t, resp))

	// The same code again: refused, and what it gave is revoked.
	resp = exchangeForm(code, fl.verifier, app.ID, app.RedirectURIs[0])
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Equal(t, "invalid_grant", oauthError(t, resp))
	require.Equal(t, http.StatusUnauthorized, userinfo(t, f, f.hostOf("acme"), first.AccessToken).Status)
	_, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.ErrorContains(t, err, "invalid_grant")

	// Grants Foyer does not offer.
	for _, gt := range []string{"password", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:device_code", "implicit"} {
		resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {gt}, "client_id": {app.ID}, "assertion": {"x"}, "device_code": {"x"}}, "", "")
		require.Equal(t, http.StatusBadRequest, resp.Status, gt)
		require.Contains(t, []string{"unsupported_grant_type", "unauthorized_client"}, oauthError(t, resp), gt)
	}
	resp = r.postForm(t, "/oidc/token", url.Values{"client_id": {app.ID}}, "", "")
	require.Equal(t, "invalid_request", oauthError(t, resp))
	// A malformed refresh token.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"abc"}, "client_id": {app.ID}}, "", "")
	require.Equal(t, "invalid_grant", oauthError(t, resp))
}

// TestOIDCTenantIsolation: codes, tokens and clients of one tenant mean
// nothing on another tenant's host.
func TestOIDCTenantIsolation(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tidA, browserA := oidcTenant(t, f, "acme", nil)
	tidB, browserB := oidcTenant(t, f, "globex", nil)
	signUp(t, browserA, "ada", "", strongPassword)
	signUp(t, browserB, "ada", "", strongPassword)
	appA, appB := spaApp(t, f, tidA), spaApp(t, f, tidB)
	rA := newRP(t, f, f.hostOf("acme"), appA, browserA)
	rB := newRP(t, f, f.hostOf("globex"), appB, browserB)

	fl := newFlow(t)
	toksA := rA.exchange(t, rA.codeAt(t, location(t, rA.authorize(t, fl)), fl), fl)

	// Tenant A's access token at tenant B's userinfo and introspection.
	resp := userinfo(t, f, f.hostOf("globex"), toksA.tok.AccessToken)
	require.Equal(t, http.StatusUnauthorized, resp.Status)
	require.Equal(t, "invalid_token", oauthError(t, resp))
	apiB := createApp(t, f, tidB, map[string]any{"name": "B API", "type": "web", "redirectUris": []string{"https://b.test/cb"}})
	resp = rB.postForm(t, "/oidc/introspect", url.Values{"token": {toksA.tok.AccessToken}}, apiB.ID, apiB.Secret)
	require.JSONEq(t, `{"active":false}`, string(resp.Body))
	resp = rB.postForm(t, "/oidc/introspect", url.Values{"token": {toksA.tok.RefreshToken}}, apiB.ID, apiB.Secret)
	require.JSONEq(t, `{"active":false}`, string(resp.Body))

	// Tenant A's client on tenant B's host.
	q := url.Values{"client_id": {appA.ID}, "redirect_uri": {appA.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {"openid"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(fl.verifier)}, "code_challenge_method": {"S256"}}
	resp = browserB.Do(t, http.MethodGet, "/oidc/auth?"+q.Encode(), nil)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Empty(t, resp.Header.Get("Location"))
	require.Equal(t, "invalid_client", oauthError(t, resp))

	// Tenant A's code and refresh token at tenant B's token endpoint, by A's
	// client (unknown there) and by B's.
	fl = newFlow(t)
	codeA := rA.codeAt(t, location(t, rA.authorize(t, fl)), fl)
	for _, clientID := range []string{appA.ID, appB.ID} {
		resp = rB.postForm(t, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {codeA},
			"code_verifier": {fl.verifier}, "client_id": {clientID}, "redirect_uri": {appA.RedirectURIs[0]}}, "", "")
		require.Contains(t, []string{"invalid_client", "invalid_grant"}, oauthError(t, resp))
		resp = rB.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toksA.tok.RefreshToken},
			"client_id": {clientID}}, "", "")
		require.Contains(t, []string{"invalid_client", "invalid_grant"}, oauthError(t, resp))
	}
	// The code and refresh token still work where they belong.
	rA.exchange(t, codeA, fl)
	_, err := rA.cfg.TokenSource(rA.ctx, &oauth2.Token{RefreshToken: toksA.tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.NoError(t, err)
	// A's id_token_hint at B is no hint at all: login_required.
	fl = newFlow(t)
	rB.errorAt(t, rB.authorize(t, fl, param("id_token_hint", toksA.raw)), fl, "login_required")
	// A's login session cookie means nothing at B.
	browserB.SetCookie(sessCookie, browserA.Cookie(sessCookie))
	fresh := newRP(t, f, f.hostOf("globex"), appB, f.Tenant("globex"))
	fresh.browser.SetCookie(sessCookie, browserA.Cookie(sessCookie))
	fl = newFlow(t)
	fresh.errorAt(t, fresh.authorize(t, fl, param("prompt", "none")), fl, "login_required")
	require.True(t, strings.HasPrefix(rA.issuer, "http://acme."))
}
