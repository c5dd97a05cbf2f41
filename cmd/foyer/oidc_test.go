package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/tenant"
)

// oidcBench is a signed-in user of the demo tenant and a public client,
// on the hot-path server.
type oidcBench struct {
	h        *hotPath
	session  string // the login-session cookie
	clientID string
	redirect string
}

func newOIDCBench(tb testing.TB, alg string) *oidcBench {
	tb.Helper()
	h := newHotPath(tb)
	status, _, resp := h.call(tb, http.MethodPut, "/api/interaction", `{"event":"Register"}`, "")
	require.Equal(tb, http.StatusNoContent, status)
	ix := cookieValue(resp, "foyer_ix")
	status, _, _ = h.call(tb, http.MethodPatch, "/api/interaction/profile", `{"username":"ann","password":"correct horse battery staple"}`, ix)
	require.Equal(tb, http.StatusNoContent, status)
	status, _, resp = h.call(tb, http.MethodPost, "/api/interaction/submit", "", ix)
	require.Equal(tb, http.StatusOK, status)

	t, err := tenant.NewStore(h.rdb, time.Now).BySlug(context.Background(), "demo")
	require.NoError(tb, err)
	redirect := "http://localhost/cb"
	app, err := oidc.NewApplications(h.rdb, time.Now, time.Second).Create(context.Background(), t.ID, "bench",
		oidc.ApplicationInput{Name: "bench", Type: oidc.TypeSPA, RedirectURIs: []string{redirect}, SigningAlg: alg})
	require.NoError(tb, err)
	return &oidcBench{h: h, session: cookieValue(resp, "foyer_session"), clientID: app.ID, redirect: redirect}
}

func cookieValue(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// code runs an authorization request answered by single sign-on and
// returns the code, the PKCE verifier, and the Redis round trips it cost.
func (o *oidcBench) code(tb testing.TB) (code, verifier string, rtt int64) {
	tb.Helper()
	verifier = oauth2.GenerateVerifier()
	q := url.Values{"client_id": {o.clientID}, "redirect_uri": {o.redirect}, "response_type": {"code"},
		"scope": {"openid profile offline_access"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}}
	req, err := http.NewRequest(http.MethodGet, o.h.url+"/oidc/auth?"+q.Encode(), nil)
	require.NoError(tb, err)
	req.Header.Set("Cookie", "foyer_session="+o.session)
	before := o.h.rtt.n.Load()
	resp, err := o.h.noRedirect.Do(req)
	require.NoError(tb, err)
	resp.Body.Close()
	require.Equal(tb, http.StatusSeeOther, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(tb, err)
	require.NotEmpty(tb, loc.Query().Get("code"), "single sign-on answers with a code: %s", loc)
	return loc.Query().Get("code"), verifier, o.h.rtt.n.Load() - before
}

// post sends a token endpoint form and returns the status, round trips
// and decoded answer.
func (o *oidcBench) post(tb testing.TB, path string, form url.Values) (int, int64, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, o.h.url+path, strings.NewReader(form.Encode()))
	require.NoError(tb, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	before := o.h.rtt.n.Load()
	resp, err := o.h.client.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	rtt := o.h.rtt.n.Load() - before
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, rtt, out
}

func (o *oidcBench) exchangeForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"client_id": {o.clientID}, "redirect_uri": {o.redirect}}
}

// TestOIDCRoundTrips holds the provider's hot paths to few Redis round
// trips once the application and keys are cached: the code exchange reads
// the code and consumes it (2); a refresh rotates and reads the user (2);
// userinfo checks revocation and reads the user (2).
func TestOIDCRoundTrips(t *testing.T) {
	o := newOIDCBench(t, oidc.AlgRS256)
	code, verifier, _ := o.code(t) // warm up: tenant, application and key caches, scripts
	status, _, warm := o.post(t, "/oidc/token", o.exchangeForm(code, verifier))
	require.Equal(t, http.StatusOK, status, "%v", warm)

	code, verifier, rtt := o.code(t)
	require.LessOrEqual(t, rtt, int64(3), "authorize answered by single sign-on: session, user, code")
	status, rtt, toks := o.post(t, "/oidc/token", o.exchangeForm(code, verifier))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, int64(2), rtt, "code exchange")

	refresh := func() int64 {
		status, rtt, out := o.post(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"},
			"refresh_token": {toks["refresh_token"].(string)}, "client_id": {o.clientID}})
		require.Equal(t, http.StatusOK, status, "%v", out)
		toks = out
		return rtt
	}
	refresh() // loads the rotation script
	require.Equal(t, int64(2), refresh(), "refresh")

	status, rtt, _ = o.post(t, "/oidc/userinfo", url.Values{"access_token": {toks["access_token"].(string)}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, int64(2), rtt, "userinfo")
}

// BenchmarkOIDCCodeExchange measures POST /oidc/token with
// grant_type=authorization_code end to end: HTTP over loopback, Fiber, the
// library's parsing and client checks, real Redis, and signing the access
// and ID tokens (RS256, the default, and ES256). Getting each code (an
// authorization request answered by single sign-on) is not timed.
func BenchmarkOIDCCodeExchange(b *testing.B) {
	for _, alg := range []string{oidc.AlgRS256, oidc.AlgES256} {
		b.Run(alg, func(b *testing.B) {
			o := newOIDCBench(b, alg)
			code, verifier, _ := o.code(b)
			o.post(b, "/oidc/token", o.exchangeForm(code, verifier))
			b.ReportAllocs()
			var rtt int64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				code, verifier, _ := o.code(b)
				b.StartTimer()
				status, n, _ := o.post(b, "/oidc/token", o.exchangeForm(code, verifier))
				if status != http.StatusOK {
					b.Fatalf("status %d", status)
				}
				rtt += n
			}
			b.ReportMetric(float64(rtt)/float64(b.N), "redis-rtt/op")
		})
	}
}
