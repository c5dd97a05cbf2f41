package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// appBody is the Application schema, as the admin API returns it.
type appBody struct {
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	Type                   string   `json:"type"`
	RedirectURIs           []string `json:"redirectUris"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	CORSOrigins            []string `json:"corsOrigins"`
	Scopes                 []string `json:"scopes"`
	SigningAlg             string   `json:"signingAlg"`
	Secret                 string   `json:"secret"`
}

// createApp registers an application on tenant tid through the admin API.
func createApp(t *testing.T, f *Foyer, tid string, body map[string]any) appBody {
	t.Helper()
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants/"+tid+"/applications", body)
	require.Equal(t, http.StatusCreated, r.Status, "create application: %s", r.Body)
	var a appBody
	r.JSON(t, &a)
	return a
}

// oidcTenant creates a tenant (MFA off, username sign-up) and returns its id
// and a browser on it.
func oidcTenant(t *testing.T, f *Foyer, slug string, settings map[string]any) (string, *Client) {
	t.Helper()
	body := map[string]any{"slug": slug}
	if settings != nil {
		body["settings"] = settings
	}
	tn := createTenant(t, f, body)
	return tn.ID, tenantBrowser(f, slug)
}

// hostOf is the Host of a tenant: <slug>.foyer.test:<port>.
func (f *Foyer) hostOf(slug string) string {
	return slug + "." + baseDomain + ":" + strconv.Itoa(f.Port)
}

// oidcHTTP is the HTTP client a relying party uses: every response is
// validated against openapi.yaml, every host dials this Foyer, redirects
// are not followed (the tests look at them).
func (f *Foyer) oidcHTTP() *http.Client {
	var d net.Dialer
	addr := "127.0.0.1:" + strconv.Itoa(f.Port)
	return &http.Client{
		Transport: validatingTransport{next: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			DisableCompression: true,
		}},
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// rp is a relying party: one application driven with go-oidc and x/oauth2
// as a real client would, and the browser of its user.
type rp struct {
	f        *Foyer
	app      appBody
	issuer   string
	ctx      context.Context // carries oidcHTTP for go-oidc and x/oauth2
	provider *gooidc.Provider
	cfg      oauth2.Config
	browser  *Client
}

// newRP discovers the provider of host (a tenant's or the demo's) for app.
func newRP(t *testing.T, f *Foyer, host string, app appBody, browser *Client, scopes ...string) *rp {
	t.Helper()
	ctx := gooidc.ClientContext(t.Context(), f.oidcHTTP())
	issuer := "http://" + host + "/oidc"
	p, err := gooidc.NewProvider(ctx, issuer)
	require.NoError(t, err, "discovery")
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}
	}
	redirect := ""
	if len(app.RedirectURIs) > 0 {
		redirect = app.RedirectURIs[0]
	}
	return &rp{f: f, app: app, issuer: issuer, ctx: ctx, provider: p, browser: browser,
		cfg: oauth2.Config{ClientID: app.ID, ClientSecret: app.Secret, Endpoint: p.Endpoint(), RedirectURL: redirect, Scopes: scopes}}
}

// flow is one authorization request in progress.
type flow struct {
	state, nonce, verifier string
}

func newFlow(t *testing.T) flow {
	return flow{state: randomString(t, 16), nonce: randomString(t, 16), verifier: oauth2.GenerateVerifier()}
}

// authorize sends the browser to the authorization endpoint (PKCE S256,
// nonce) with extra parameters, and returns the answer.
func (r *rp) authorize(t *testing.T, fl flow, extra ...oauth2.AuthCodeOption) *Response {
	t.Helper()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(fl.verifier), gooidc.Nonce(fl.nonce)}, extra...)
	u, err := url.Parse(r.cfg.AuthCodeURL(fl.state, opts...))
	require.NoError(t, err)
	return r.browser.Do(t, http.MethodGet, u.RequestURI(), nil)
}

// location is the Location of a 303 answer, parsed.
func location(t *testing.T, resp *Response) *url.URL {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, resp.Status, "want a 303; body %s", resp.Body)
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return u
}

// codeAt checks a redirect reached the app's redirect URI with the flow's
// state and returns the code.
func (r *rp) codeAt(t *testing.T, u *url.URL, fl flow) string {
	t.Helper()
	require.Equal(t, r.cfg.RedirectURL, u.Scheme+"://"+u.Host+u.Path, "redirected to the client's redirect_uri")
	q := u.Query()
	require.Empty(t, q.Get("error"), "error %s: %s", q.Get("error"), q.Get("error_description"))
	require.Equal(t, fl.state, q.Get("state"), "state round-trips")
	require.NotEmpty(t, q.Get("code"))
	return q.Get("code")
}

// errorAt checks a redirect reached the app's redirect URI with an error.
func (r *rp) errorAt(t *testing.T, resp *Response, fl flow, code string) {
	t.Helper()
	u := location(t, resp)
	require.Equal(t, r.cfg.RedirectURL, u.Scheme+"://"+u.Host+u.Path, "error redirected to the client's redirect_uri")
	q := u.Query()
	if u.Fragment != "" { // an implicit response_type's default response mode
		q, _ = url.ParseQuery(u.Fragment)
	}
	require.Equal(t, code, q.Get("error"), "error_description %q", q.Get("error_description"))
	require.Equal(t, fl.state, q.Get("state"))
	require.Empty(t, q.Get("code"))
}

// toSignIn checks /auth sent the browser to the sign-in page with a fresh
// interaction cookie, and returns it.
func toSignIn(t *testing.T, resp *Response, page string) string {
	t.Helper()
	u := location(t, resp)
	require.Equal(t, page, u.Path)
	ck := resp.Cookie(ixCookie)
	require.NotNil(t, ck, "the interaction cookie is set")
	require.Len(t, ck.Value, 43)
	require.True(t, ck.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	return ck.Value
}

// submitForCallback submits the browser's interaction and returns the
// callback URL it answers with.
func submitForCallback(t *testing.T, c *Client, issuer string) string {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusOK, r.Status, "submit: %s", r.Body)
	var out struct {
		RedirectTo string `json:"redirectTo"`
	}
	r.JSON(t, &out)
	require.True(t, strings.HasPrefix(out.RedirectTo, issuer+"/auth/callback?id="), "redirectTo %q", out.RedirectTo)
	return out.RedirectTo
}

// follow GETs an absolute URL of the browser's own host.
func follow(t *testing.T, c *Client, raw string) *Response {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	require.Equal(t, c.Host, u.Host, "a URL of the tenant's own host")
	return c.Do(t, http.MethodGet, u.RequestURI(), nil)
}

// signInWithPassword runs the whole authorization for a user with a
// password through the interaction API, and returns the code.
func (r *rp) signInWithPassword(t *testing.T, fl flow, username, password string, extra ...oauth2.AuthCodeOption) string {
	t.Helper()
	toSignIn(t, r.authorize(t, fl, extra...), "/sign-in")
	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": username, "password": password}}).Status)
	cb := submitForCallback(t, r.browser, r.issuer)
	return r.codeAt(t, location(t, follow(t, r.browser, cb)), fl)
}

// tokens are the result of a code exchange, with the ID token verified.
type tokens struct {
	tok *oauth2.Token
	id  *gooidc.IDToken
	raw string
}

// exchange redeems a code and verifies the ID token as go-oidc does
// (signature against JWKS, iss, aud, exp), plus nonce and at_hash.
func (r *rp) exchange(t *testing.T, code string, fl flow) tokens {
	t.Helper()
	tok, err := r.cfg.Exchange(r.ctx, code, oauth2.VerifierOption(fl.verifier))
	require.NoError(t, err, "code exchange")
	raw, _ := tok.Extra("id_token").(string)
	require.NotEmpty(t, raw, "an ID token")
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: r.app.ID}).Verify(r.ctx, raw)
	require.NoError(t, err, "ID token verifies against JWKS")
	require.Equal(t, fl.nonce, idt.Nonce, "nonce round-trips")
	require.NoError(t, idt.VerifyAccessToken(tok.AccessToken), "at_hash")
	return tokens{tok: tok, id: idt, raw: raw}
}

// jwtParts decodes a JWT's header and payload without verifying it.
func jwtParts(t *testing.T, raw string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, dst))
	}
	return header, payload
}

// postForm sends a form to an /oidc endpoint with optional Basic
// credentials and returns the answer.
func (r *rp) postForm(t *testing.T, path string, form url.Values, basicUser, basicPass string) *Response {
	t.Helper()
	opts := []Opt{WithContentType("application/x-www-form-urlencoded")}
	if basicUser != "" {
		opts = append(opts, func(req *http.Request) { req.SetBasicAuth(basicUser, basicPass) })
	}
	c := r.f.Client(strings.TrimPrefix(strings.TrimSuffix(r.issuer, "/oidc"), "http://"))
	c.Origin, c.SecFetchSite = "", ""
	return c.Do(t, http.MethodPost, path, form.Encode(), opts...)
}

// oauthError decodes an OAuth error body.
func oauthError(t *testing.T, r *Response) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.JSON(t, &e)
	return e.Error
}

// userinfoStatus calls userinfo with a bearer token on host and returns the
// answer.
func userinfo(t *testing.T, f *Foyer, host, token string) *Response {
	t.Helper()
	c := f.Client(host)
	c.Bearer, c.Origin = token, ""
	return c.Do(t, http.MethodGet, "/oidc/userinfo", nil)
}
