package tests

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// accountTenant is a tenant with an SPA whose users get account API tokens.
type accountTenant struct {
	f    *Foyer
	slug string
	id   string
	app  appBody
}

// newAccountTenant creates a tenant (with settings merged in) and its SPA.
func newAccountTenant(t *testing.T, f *Foyer, slug string, settings map[string]any) *accountTenant {
	t.Helper()
	tid, _ := oidcTenant(t, f, slug, settings)
	return &accountTenant{f: f, slug: slug, id: tid, app: createApp(t, f, tid, map[string]any{
		"name": "Account page", "type": "spa", "redirectUris": []string{"https://app." + slug + ".test/callback"},
	})}
}

// origin is the tenant's https origin, the one authenticators sign for.
func (at *accountTenant) origin() string { return "https://" + at.slug + "." + baseDomain }

// rp is a relying party asking for scopes, in a fresh browser (no login
// session: every sign-in is a new one).
func (at *accountTenant) rp(t *testing.T, scopes ...string) *rp {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"openid", "account"}
	}
	return newRP(t, at.f, at.f.hostOf(at.slug), at.app, tenantBrowser(at.f, at.slug), scopes...)
}

// passwordToken signs username in with a password through the code flow
// (scope "openid account") and returns the access token.
func (at *accountTenant) passwordToken(t *testing.T, username, password string, scopes ...string) string {
	t.Helper()
	r := at.rp(t, scopes...)
	fl := newFlow(t)
	return r.exchange(t, r.signInWithPassword(t, fl, username, password), fl).tok.AccessToken
}

// passkeyToken signs in with a's discoverable passkey through the code
// flow and the interaction API, and returns the access token.
func (at *accountTenant) passkeyToken(t *testing.T, a *authenticator.Authenticator) string {
	t.Helper()
	r := at.rp(t)
	fl := newFlow(t)
	toSignIn(t, r.authorize(t, fl), "/sign-in")
	assertion, err := a.Login(authenticationOptions(t, r.browser), r.browser.Origin)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"passkey": json.RawMessage(assertion)}}).Status)
	cb := submitForCallback(t, r.browser, r.issuer)
	code := r.codeAt(t, location(t, follow(t, r.browser, cb)), fl)
	return r.exchange(t, code, fl).tok.AccessToken
}

// api is an API client of the tenant, as the seeds' curl calls are: no
// Origin, no Sec-Fetch-Site, no cookies; a bearer token if given.
func (at *accountTenant) api(token string) *Client {
	c := at.f.Client(at.f.hostOf(at.slug))
	c.Origin, c.SecFetchSite, c.Bearer = "", "", token
	return c
}

// tenantHeader is the seeds' X-Tenant-ID, upper-cased as the seeds write UUIDs.
func (at *accountTenant) tenantHeader() Opt { return WithHeader("X-Tenant-ID", strings.ToUpper(at.id)) }

// userID is the id of the user a token belongs to.
func (at *accountTenant) userID(t *testing.T, token string) string {
	t.Helper()
	_, claims := jwtParts(t, token)
	sub, _ := claims["sub"].(string)
	require.NotEmpty(t, sub)
	return sub
}

// managementToken creates an m2m application with scopes and returns a
// client_credentials token for them.
func (at *accountTenant) managementToken(t *testing.T, scopes ...string) string {
	t.Helper()
	m2m := createApp(t, at.f, at.id, map[string]any{"name": "Provisioning", "type": "m2m", "scopes": scopes})
	r := at.rp(t)
	cc := clientcredentials.Config{ClientID: m2m.ID, ClientSecret: m2m.Secret, TokenURL: r.issuer + "/token", Scopes: scopes}
	tok, err := cc.Token(r.ctx)
	require.NoError(t, err)
	return tok.AccessToken
}

// passkeySignIn signs in on the tenant's sign-in page with a's discoverable
// passkey through /api/interaction and checks who is signed in.
func (at *accountTenant) passkeySignIn(t *testing.T, a *authenticator.Authenticator, username string) {
	t.Helper()
	c := tenantBrowser(at.f, at.slug)
	start(t, c, "SignIn")
	assertion, err := a.Login(authenticationOptions(t, c), c.Origin)
	require.NoError(t, err)
	r := identify(t, c, map[string]any{"passkey": json.RawMessage(assertion)})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	submitOK(t, c)
	var sess struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
		Methods []string `json:"methods"`
	}
	c.Do(t, http.MethodGet, "/api/session", nil).JSON(t, &sess)
	require.Equal(t, username, sess.User.Username)
	require.Equal(t, []string{"passkey"}, sess.Methods)
}

// basicAuth is an Authorization: Basic header (RFC 7617).
func basicAuth(user, pass string) Opt {
	return WithHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
}

// codesOut is {codes, remaining}.
type codesOut struct {
	Codes     []string `json:"codes"`
	Remaining int      `json:"remaining"`
}
