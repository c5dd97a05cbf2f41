package tests

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOIDCApplicationsAdmin: the admin API creates, lists, reads, changes
// and deletes applications; a secret is shown once and kept hashed.
func TestOIDCApplicationsAdmin(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	admin := f.Admin()
	base := "/api/admin/tenants/" + tid + "/applications"

	spa := createApp(t, f, tid, map[string]any{"name": "SPA", "type": "spa",
		"redirectUris": []string{"https://app.acme.test/cb", "http://localhost:5173/cb"}})
	require.Regexp(t, regexp.MustCompile(`^[a-z2-7]{26}$`), spa.ID)
	require.Empty(t, spa.Secret, "public clients have no secret")
	require.Equal(t, []string{"https://app.acme.test", "http://localhost:5173"}, spa.CORSOrigins, "default: redirect URI origins")
	require.Equal(t, "RS256", spa.SigningAlg)
	require.Equal(t, []string{}, spa.PostLogoutRedirectURIs)

	web := createApp(t, f, tid, map[string]any{"name": "Web", "type": "web", "redirectUris": []string{"https://web.acme.test/cb"}})
	require.Len(t, web.Secret, 43)
	require.Equal(t, []string{}, web.CORSOrigins, "server-side apps need no CORS")
	native := createApp(t, f, tid, map[string]any{"name": "Phone", "type": "native",
		"redirectUris": []string{"com.acme.app:/oauth2redirect", "http://127.0.0.1:8080/cb"}})
	require.Empty(t, native.Secret)
	requireNoSecretInRedis(t, f, web.Secret)

	// Reading never shows the secret.
	r := admin.Do(t, http.MethodGet, base+"/"+web.ID, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, string(r.Body), "secret")
	var list struct {
		Applications []appBody `json:"applications"`
	}
	admin.Do(t, http.MethodGet, base, nil).JSON(t, &list)
	require.Len(t, list.Applications, 3)
	require.Equal(t, spa.ID, list.Applications[0].ID, "oldest first")

	// PATCH replaces the fields given and validates the whole.
	r = admin.Do(t, http.MethodPatch, base+"/"+spa.ID, map[string]any{"name": "Renamed", "corsOrigins": []string{"https://other.acme.test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var patched appBody
	r.JSON(t, &patched)
	require.Equal(t, "Renamed", patched.Name)
	require.Equal(t, []string{"https://other.acme.test"}, patched.CORSOrigins)
	require.Equal(t, spa.RedirectURIs, patched.RedirectURIs)
	r = admin.Do(t, http.MethodPatch, base+"/"+spa.ID, map[string]any{"redirectUris": []string{"http://evil.test/cb"}})
	e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "redirectUris[0]", e.Fields(t)[0].Field)

	// Secrets: only confidential apps have one to rotate.
	requireError(t, admin.Do(t, http.MethodPost, base+"/"+spa.ID+"/secret", nil), http.StatusBadRequest, "application.no_secret")

	// Delete, then it is gone everywhere.
	require.Equal(t, http.StatusNoContent, admin.Do(t, http.MethodDelete, base+"/"+native.ID, nil).Status)
	requireError(t, admin.Do(t, http.MethodGet, base+"/"+native.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodDelete, base+"/"+native.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodPatch, base+"/"+native.ID, map[string]any{"name": "x"}), http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodPost, base+"/"+native.ID+"/secret", nil), http.StatusNotFound, "entity.not_found")
	q := url.Values{"client_id": {native.ID}, "redirect_uri": {"http://127.0.0.1:8080/cb"}, "response_type": {"code"}, "scope": {"openid"}}
	resp := f.Client(f.hostOf("acme")).Do(t, http.MethodGet, "/oidc/auth?"+q.Encode(), nil)
	require.Equal(t, "invalid_client", oauthError(t, resp))

	// Another tenant's id, an unknown tenant, no admin key.
	otherTid, _ := oidcTenant(t, f, "globex", nil)
	requireError(t, admin.Do(t, http.MethodGet, "/api/admin/tenants/"+otherTid+"/applications/"+spa.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodGet, "/api/admin/tenants/00000000-0000-0000-0000-000000000000/applications", nil),
		http.StatusNotFound, "entity.not_found")
	requireError(t, f.Tenant("acme").Do(t, http.MethodGet, base, nil), http.StatusUnauthorized, "unauthenticated")
}

// TestOIDCApplicationValidation: bad applications are refused naming the
// field and the rule.
func TestOIDCApplicationValidation(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	tests := []struct {
		name  string
		body  map[string]any
		field string
		rule  string
	}{
		{"no name", map[string]any{"type": "spa", "redirectUris": []string{"https://a.test/cb"}}, "name", "required"},
		{"unknown type", map[string]any{"name": "x", "type": "desktop"}, "type", "oneof"},
		{"no redirect URI", map[string]any{"name": "x", "type": "spa"}, "redirectUris", "required"},
		{"relative", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"/cb"}}, "redirectUris[0]", "redirect_uri"},
		{"http on a public host", map[string]any{"name": "x", "type": "web", "redirectUris": []string{"http://a.test/cb"}}, "redirectUris[0]", "redirect_uri"},
		{"fragment", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb#x"}}, "redirectUris[0]", "redirect_uri"},
		{"user info", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://u:p@a.test/cb"}}, "redirectUris[0]", "redirect_uri"},
		{"custom scheme on spa", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"com.acme:/cb"}}, "redirectUris[0]", "redirect_uri"},
		{"javascript on native", map[string]any{"name": "x", "type": "native", "redirectUris": []string{"javascript:alert(1)"}}, "redirectUris[0]", "redirect_uri"},
		{"second one bad", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb", "ftp://a.test"}}, "redirectUris[1]", "redirect_uri"},
		{"bad post-logout", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb"},
			"postLogoutRedirectUris": []string{"http://a.test/"}}, "postLogoutRedirectUris[0]", "redirect_uri"},
		{"origin with a path", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb"},
			"corsOrigins": []string{"https://a.test/app"}}, "corsOrigins[0]", "origin"},
		{"wildcard origin", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb"},
			"corsOrigins": []string{"*"}}, "corsOrigins[0]", "origin"},
		{"m2m with redirect URIs", map[string]any{"name": "x", "type": "m2m", "redirectUris": []string{"https://a.test/cb"}}, "redirectUris", "excluded_with_type"},
		{"scopes on an spa", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb"},
			"scopes": []string{"a"}}, "scopes", "m2m_only"},
		{"an OpenID scope for m2m", map[string]any{"name": "x", "type": "m2m", "scopes": []string{"openid"}}, "scopes[0]", "scope"},
		{"unknown algorithm", map[string]any{"name": "x", "type": "spa", "redirectUris": []string{"https://a.test/cb"},
			"signingAlg": "HS256"}, "signingAlg", "oneof"},
		{"duplicate redirect URIs", map[string]any{"name": "x", "type": "spa",
			"redirectUris": []string{"https://a.test/cb", "https://a.test/cb"}}, "redirectUris", "unique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants/"+tid+"/applications", tt.body)
			e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
			fields := e.Fields(t)
			require.NotEmpty(t, fields)
			require.Equal(t, tt.field, fields[0].Field)
			require.Equal(t, tt.rule, fields[0].Rule)
		})
	}
	var list struct {
		Applications []appBody `json:"applications"`
	}
	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/applications", nil).JSON(t, &list)
	require.Empty(t, list.Applications, "nothing was stored")
}

// TestOIDCCORS: the endpoints an SPA calls cross-origin answer CORS for the
// origins the tenant's applications allow, never with credentials, and
// for nothing else.
func TestOIDCCORS(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	signUp(t, browser, "ada", "", strongPassword)
	app := spaApp(t, f, tid) // https://app.acme.test
	createApp(t, f, tid, map[string]any{"name": "Other", "type": "spa", "redirectUris": []string{"https://x.acme.test/cb"},
		"corsOrigins": []string{"https://dashboard.acme.test"}})
	r := newRP(t, f, f.hostOf("acme"), app, browser)
	fl := newFlow(t)
	toks := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)

	preflight := func(path, origin, method string) *Response {
		c := f.Client(f.hostOf("acme"))
		c.Origin, c.SecFetchSite = "", ""
		return c.Do(t, http.MethodOptions, path, nil, WithHeader("Origin", origin),
			WithHeader("Access-Control-Request-Method", method), WithHeader("Access-Control-Request-Headers", "authorization"))
	}
	for _, ep := range []struct{ path, method string }{
		{"/oidc/.well-known/openid-configuration", "GET"}, {"/oidc/keys", "GET"}, {"/oidc/token", "POST"},
		{"/oidc/userinfo", "GET"}, {"/oidc/revoke", "POST"},
	} {
		for _, origin := range []string{"https://app.acme.test", "https://dashboard.acme.test"} {
			resp := preflight(ep.path, origin, ep.method)
			require.Equal(t, http.StatusNoContent, resp.Status, ep.path)
			require.Equal(t, origin, resp.Header.Get("Access-Control-Allow-Origin"), "%s from %s", ep.path, origin)
			require.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
		}
		resp := preflight(ep.path, "https://evil.test", ep.method)
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "%s from an unknown origin", ep.path)
	}
	// The actual request carries the header too; userinfo by POST form.
	c := f.Client(f.hostOf("acme"))
	c.Origin, c.SecFetchSite = "", ""
	resp := c.Do(t, http.MethodPost, "/oidc/userinfo", url.Values{"access_token": {toks.tok.AccessToken}}.Encode(),
		WithContentType("application/x-www-form-urlencoded"), WithHeader("Origin", "https://app.acme.test"))
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	require.Equal(t, "https://app.acme.test", resp.Header.Get("Access-Control-Allow-Origin"))
	// Another tenant's origins are not this tenant's.
	tid2, _ := oidcTenant(t, f, "globex", nil)
	createApp(t, f, tid2, map[string]any{"name": "G", "type": "spa", "redirectUris": []string{"https://globex.test/cb"}})
	resp = preflight("/oidc/token", "https://globex.test", "POST")
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// TestOIDCDemoClient: dev mode gives the demo tenant the "demo" SPA, printed
// at start-up, with which a flow runs at once on localhost.
func TestOIDCDemoClient(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	port := strconv.Itoa(f.Port)
	// The line is written before Foyer serves; the log pipe may lag a little.
	require.Eventually(t, func() bool {
		return strings.Contains(f.Log(), "client_id=demo redirect_uri=http://localhost:"+port+"/demo/callback")
	}, 5*time.Second, 10*time.Millisecond, "log:\n%s", f.Log())
	demoID := tenantID(t, f, "demo")
	var demo appBody
	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+demoID+"/applications/demo", nil).JSON(t, &demo)
	require.Equal(t, "spa", demo.Type)
	require.Equal(t, []string{"http://localhost:" + port + "/demo/callback"}, demo.RedirectURIs)

	browser := f.Demo()
	signUp(t, browser, "ada", "", strongPassword)
	r := newRP(t, f, "localhost:"+port, demo, browser)
	fl := newFlow(t)
	toks := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)
	require.Equal(t, "http://localhost:"+port+"/oidc", toks.id.Issuer)
	require.True(t, strings.HasPrefix(toks.tok.AccessToken, "ey"))
}
