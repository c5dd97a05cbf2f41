package tests

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func param(k, v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam(k, v) }

// TestOIDCSingleSignOnAndPrompts covers the OpenID Foundation basic OP
// plan's server-side checks of the authorization request: a login session
// answers without a page (oidcc-prompt-none-logged-in, oidcc-max-age-10000,
// oidcc-id-token-hint, oidcc-ui-locales, oidcc-login-hint,
// oidcc-ensure-request-with-unknown-parameter-succeeds,
// oidcc-ensure-request-with-acr-values-succeeds, oidcc-display-page,
// oidcc-ensure-request-without-nonce-succeeds-for-code-flow,
// oidcc-ensure-post-request-succeeds, oidcc-claims-essential (the claims
// parameter is ignored), oidcc-scope-profile, -email, -phone, -address (no
// address is held, the request still succeeds), -all,
// oidcc-ensure-other-scope-order-succeeds); prompt=login and
// max_age force a new sign-in (oidcc-prompt-login, oidcc-max-age-1);
// prompt=none without a session is login_required
// (oidcc-prompt-none-not-logged-in); request objects are refused cleanly
// (oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported,
// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported).
func TestOIDCSingleSignOnAndPrompts(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	start(t, browser, "Register")
	require.Equal(t, http.StatusNoContent, browser.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{
		"username": "ada", "email": "ada@example.com", "phone": "+14155550123", "password": strongPassword}).Status)
	submitOK(t, browser) // browser is now signed in
	app := spaApp(t, f, tid)
	r := newRP(t, f, f.hostOf("acme"), app, browser)

	// Single sign-on: the login session answers, no interaction starts.
	fl := newFlow(t)
	resp := r.authorize(t, fl)
	require.Nil(t, resp.Cookie(ixCookie), "no interaction for single sign-on")
	first := r.exchange(t, r.codeAt(t, location(t, resp), fl), fl)
	var c1 struct {
		AuthTime int64    `json:"auth_time"`
		AMR      []string `json:"amr"`
	}
	require.NoError(t, first.id.Claims(&c1))
	require.Equal(t, []string{"pwd"}, c1.AMR, "the session's methods: a password at sign-up")

	// Requests a logged-in user's session answers at once.
	answered := []struct {
		name  string
		extra []oauth2.AuthCodeOption
	}{
		{"prompt=none", []oauth2.AuthCodeOption{param("prompt", "none")}},
		{"prompt=consent (first-party: no page)", []oauth2.AuthCodeOption{param("prompt", "consent")}},
		{"max_age=10000", []oauth2.AuthCodeOption{param("max_age", "10000")}},
		{"id_token_hint of the user, prompt=none", []oauth2.AuthCodeOption{param("id_token_hint", first.raw), param("prompt", "none")}},
		{"ui_locales", []oauth2.AuthCodeOption{param("ui_locales", "fr-CA fr en")}},
		{"claims_locales", []oauth2.AuthCodeOption{param("claims_locales", "de")}},
		{"login_hint", []oauth2.AuthCodeOption{param("login_hint", "ada")}},
		{"acr_values", []oauth2.AuthCodeOption{param("acr_values", "1 2")}},
		{"display=page", []oauth2.AuthCodeOption{param("display", "page")}},
		{"display=popup", []oauth2.AuthCodeOption{param("display", "popup")}},
		{"unknown parameter", []oauth2.AuthCodeOption{param("extra", "foobar")}},
		{"claims parameter (not supported, ignored)", []oauth2.AuthCodeOption{param("claims", `{"id_token":{"email":{"essential":true}}}`)}},
	}
	for _, tt := range answered {
		fl := newFlow(t)
		toks := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl, tt.extra...)), fl), fl)
		require.Equal(t, first.id.Subject, toks.id.Subject, tt.name)
		if tt.name == "prompt=consent (first-party: no page)" {
			require.NotEmpty(t, toks.tok.RefreshToken, "prompt=consent with offline_access still gives a refresh token")
		}
	}

	// Without a nonce (optional in the code flow), the ID token has none.
	fl = newFlow(t)
	u, _ := url.Parse(r.cfg.AuthCodeURL(fl.state, oauth2.S256ChallengeOption(fl.verifier)))
	code := r.codeAt(t, location(t, r.browser.Do(t, http.MethodGet, u.RequestURI(), nil)), fl)
	tok, err := r.cfg.Exchange(r.ctx, code, oauth2.VerifierOption(fl.verifier))
	require.NoError(t, err)
	_, payload := jwtParts(t, tok.Extra("id_token").(string))
	require.NotContains(t, payload, "nonce")

	// The same request as a form POST.
	fl = newFlow(t)
	u, _ = url.Parse(r.cfg.AuthCodeURL(fl.state, oauth2.S256ChallengeOption(fl.verifier)))
	resp = r.browser.Do(t, http.MethodPost, "/oidc/auth", u.RawQuery, WithContentType("application/x-www-form-urlencoded"))
	r.codeAt(t, location(t, resp), fl)

	// Claims follow the scopes (oidcc-scope-profile, -email, and openid alone).
	scoped := []struct {
		scopes []string
		has    []string
		hasNot []string
	}{
		{[]string{"openid"}, nil, []string{"preferred_username", "email", "updated_at"}},
		{[]string{"openid", "profile"}, []string{"preferred_username", "updated_at"}, []string{"email"}},
		{[]string{"openid", "email"}, []string{"email", "email_verified"}, []string{"preferred_username"}},
		{[]string{"openid", "phone"}, []string{"phone_number", "phone_number_verified"}, []string{"email"}},
		{[]string{"email", "openid", "profile"}, []string{"email", "preferred_username"}, []string{"phone_number"}}, // other scope order
		{[]string{"openid", "profile", "email", "phone", "address"}, []string{"preferred_username", "email", "phone_number"}, nil},
	}
	for _, tt := range scoped {
		rs := newRP(t, f, f.hostOf("acme"), app, browser, tt.scopes...)
		fl := newFlow(t)
		toks := rs.exchange(t, rs.codeAt(t, location(t, rs.authorize(t, fl)), fl), fl)
		_, idp := jwtParts(t, toks.raw)
		var info map[string]any
		ur := userinfo(t, f, f.hostOf("acme"), toks.tok.AccessToken)
		require.Equal(t, http.StatusOK, ur.Status, "%s", ur.Body)
		require.Equal(t, "no-store", ur.Header.Get("Cache-Control"))
		ur.JSON(t, &info)
		for _, k := range tt.has {
			require.Contains(t, idp, k, "ID token for %v", tt.scopes)
			require.Contains(t, info, k, "userinfo for %v", tt.scopes)
		}
		for _, k := range tt.hasNot {
			require.NotContains(t, idp, k, "ID token for %v", tt.scopes)
			require.NotContains(t, info, k, "userinfo for %v", tt.scopes)
		}
		require.Empty(t, toks.tok.RefreshToken, "no offline_access, no refresh token")
	}

	// Refused cleanly, at the client: request objects and other response modes.
	for _, tt := range []struct {
		extra []oauth2.AuthCodeOption
		code  string
	}{
		{[]oauth2.AuthCodeOption{param("request", "eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6IngifQ.")}, "request_not_supported"},
		{[]oauth2.AuthCodeOption{param("request_uri", "https://app.acme.test/request.jwt")}, "request_uri_not_supported"},
		{[]oauth2.AuthCodeOption{param("response_mode", "fragment")}, "invalid_request"},
		{[]oauth2.AuthCodeOption{param("prompt", "none login")}, "invalid_request"},
	} {
		fl := newFlow(t)
		r.errorAt(t, r.authorize(t, fl, tt.extra...), fl, tt.code)
	}

	// prompt=login forces a new sign-in, with a newer auth_time.
	time.Sleep(1100 * time.Millisecond)
	fl = newFlow(t)
	toSignIn(t, r.authorize(t, fl, param("prompt", "login")), "/sign-in")
	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": "ada", "password": strongPassword}}).Status)
	second := r.exchange(t, r.codeAt(t, location(t, follow(t, r.browser, submitForCallback(t, r.browser, r.issuer))), fl), fl)
	var c2 struct {
		AuthTime int64 `json:"auth_time"`
	}
	require.NoError(t, second.id.Claims(&c2))
	require.Greater(t, c2.AuthTime, c1.AuthTime)

	// max_age=1 two seconds after signing in asks again.
	time.Sleep(2 * time.Second)
	toSignIn(t, r.authorize(t, newFlow(t), param("max_age", "1")), "/sign-in")

	// prompt=none without a session is login_required at the client; so is
	// an id_token_hint of another user.
	fresh := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))
	fl = newFlow(t)
	fresh.errorAt(t, fresh.authorize(t, fl, param("prompt", "none")), fl, "login_required")
	signUp(t, tenantBrowser(f, "acme"), "bob", "", strongPassword)
	rb := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))
	flb := newFlow(t)
	bob := rb.exchange(t, rb.signInWithPassword(t, flb, "bob", strongPassword), flb)
	fl = newFlow(t)
	r.errorAt(t, r.authorize(t, fl, param("prompt", "none"), param("id_token_hint", bob.raw)), fl, "login_required")
	// A malformed id_token_hint is login_required too.
	fl = newFlow(t)
	r.errorAt(t, r.authorize(t, fl, param("id_token_hint", "not.a.jwt")), fl, "login_required")

	// ui_locales reaches the sign-in page.
	resp = fresh.authorize(t, newFlow(t), param("ui_locales", "de-CH de"))
	require.Equal(t, "de-CH de", location(t, resp).Query().Get("ui_locales"))

	// prompt=create starts a Register interaction, whose submit finishes
	// the request for the new user.
	fl = newFlow(t)
	toSignIn(t, fresh.authorize(t, fl, param("prompt", "create")), "/register")
	st := fresh.browser.Do(t, http.MethodGet, "/api/interaction", nil)
	require.Contains(t, string(st.Body), `"event":"Register"`)
	require.Equal(t, http.StatusNoContent, fresh.browser.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "cleo", "password": strongPassword}).Status)
	cleo := fresh.exchange(t, fresh.codeAt(t, location(t, follow(t, fresh.browser, submitForCallback(t, fresh.browser, fresh.issuer))), fl), fl)
	require.NotEqual(t, first.id.Subject, cleo.id.Subject)
	var cc struct {
		PreferredUsername string `json:"preferred_username"`
	}
	require.NoError(t, cleo.id.Claims(&cc))
	require.Equal(t, "cleo", cc.PreferredUsername)
}

// TestOIDCInteractionWithoutRequest: an interaction started by the API
// alone still answers {"redirectTo": "/"}.
func TestOIDCInteractionWithoutRequest(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	_, browser := oidcTenant(t, f, "acme", nil)
	start(t, browser, "Register")
	require.Equal(t, http.StatusNoContent, browser.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "ada", "password": strongPassword}).Status)
	r := browser.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"redirectTo":"/"}`, string(r.Body))
}

// TestOIDCCallbackBoundToBrowser: the callback URL submit answers gives a
// code only to the browser holding the login session that finished the
// request; another browser is sent to the client with login_required.
func TestOIDCCallbackBoundToBrowser(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "ada", "", strongPassword)
	r := newRP(t, f, f.hostOf("acme"), spaApp(t, f, tid), tenantBrowser(f, "acme"))
	fl := newFlow(t)
	toSignIn(t, r.authorize(t, fl), "/sign-in")
	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": "ada", "password": strongPassword}}).Status)
	cb := submitForCallback(t, r.browser, r.issuer)

	r.errorAt(t, follow(t, tenantBrowser(f, "acme"), cb), fl, "login_required")
	r.exchange(t, r.codeAt(t, location(t, follow(t, r.browser, cb)), fl), fl)
	// An id nobody issued is answered here, not redirected.
	resp := r.browser.Do(t, http.MethodGet, "/oidc/auth/callback?id=nope", nil)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Empty(t, resp.Header.Get("Location"))
}

// TestOIDCAuthRequestExpired: when the authorization request expired while
// the user signed in, submit still signs the user in and answers the
// tenant's default page; the app's next request is answered by the session.
func TestOIDCAuthRequestExpired(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "ada", "", strongPassword)
	r := newRP(t, f, f.hostOf("acme"), spaApp(t, f, tid), tenantBrowser(f, "acme"))
	toSignIn(t, r.authorize(t, newFlow(t)), "/sign-in")
	reqs := f.scanKeys(t, "foyer:t:{"+tid+"}:oidc:areq:*")
	require.Len(t, reqs, 1)
	ttl := f.Redis.PTTL(t.Context(), reqs[0]).Val()
	require.Greater(t, ttl, 59*time.Minute, "the request lives as long as the interaction")
	require.NoError(t, f.Redis.Del(t.Context(), reqs[0]).Err())

	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": "ada", "password": strongPassword}}).Status)
	resp := r.browser.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	require.JSONEq(t, `{"redirectTo":"/"}`, string(resp.Body))
	fl := newFlow(t)
	r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)
}
