package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// amrOf reads the amr claim of verified tokens.
func amrOf(t *testing.T, toks tokens) []string {
	t.Helper()
	var c struct {
		AMR []string `json:"amr"`
	}
	require.NoError(t, toks.id.Claims(&c))
	return c.AMR
}

// TestOIDCPasskeyAsSecondFactor: a password and a passkey second factor
// through the interaction API; the ID token says so (pwd, hwk, mfa).
func TestOIDCPasskeyAsSecondFactor(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	reg := passkeyTenant(t, f, "acme", nil)
	a := authenticator.New()
	start(t, reg, "Register")
	require.Equal(t, http.StatusNoContent, reg.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "grace", "password": strongPassword}).Status)
	bindPasskey(t, reg, a)
	submitOK(t, reg)

	app := spaApp(t, f, tenantID(t, f, "acme"))
	r := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))
	fl := newFlow(t)
	toSignIn(t, r.authorize(t, fl), "/sign-in")
	c := r.browser
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": "grace", "password": strongPassword}}).Status)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusForbidden, "session.mfa.require_mfa_verification")
	assertion, err := a.Login(authenticationOptions(t, c), c.Origin)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn")).Status)
	toks := r.exchange(t, r.codeAt(t, location(t, follow(t, c, submitForCallback(t, c, r.issuer))), fl), fl)
	require.Equal(t, []string{"pwd", "hwk", "mfa"}, amrOf(t, toks))
}

// TestOIDCPasskeyOnly: a password-less account signs in with its passkey
// alone (amr hwk).
func TestOIDCPasskeyOnly(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	reg := passkeyTenant(t, f, "acme", map[string]any{"residentKey": "required", "userVerification": "required", "passwordless": true})
	a := authenticator.New(authenticator.WithAttachment("platform"))
	start(t, reg, "Register")
	require.Equal(t, http.StatusNoContent, reg.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "heidi"}).Status)
	bindPasskey(t, reg, a)
	submitOK(t, reg)

	app := spaApp(t, f, tenantID(t, f, "acme"))
	r := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))
	fl := newFlow(t)
	toSignIn(t, r.authorize(t, fl), "/sign-in")
	c := r.browser
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction", map[string]any{"event": "SignIn"}).Status)
	assertion, err := a.Login(authenticationOptions(t, c), c.Origin)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"passkey": json.RawMessage(assertion)}).Status)
	toks := r.exchange(t, r.codeAt(t, location(t, follow(t, c, submitForCallback(t, c, r.issuer))), fl), fl)
	require.Equal(t, []string{"hwk"}, amrOf(t, toks))
	var c2 struct {
		PreferredUsername string `json:"preferred_username"`
	}
	require.NoError(t, toks.id.Claims(&c2))
	require.Equal(t, "heidi", c2.PreferredUsername)
}

// TestOIDCEndSession: RP-initiated logout ends Foyer's login session, with
// an id_token_hint (oidc-client-ts) or with client_id alone (Logto's SDK),
// and only redirects to a registered post-logout URI.
func TestOIDCEndSession(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	signUp(t, browser, "ada", "", strongPassword)
	app := spaApp(t, f, tid)
	r := newRP(t, f, f.hostOf("acme"), app, browser)
	fl := newFlow(t)
	toks := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)

	// An unregistered post-logout URI is refused here, and nothing ends.
	resp := browser.Do(t, http.MethodGet, "/oidc/end_session?"+url.Values{"id_token_hint": {toks.raw},
		"post_logout_redirect_uri": {"https://evil.test/"}}.Encode(), nil)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Empty(t, resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, browser.Do(t, http.MethodGet, "/api/session", nil).Status)

	// With the hint: 303 to the registered URI with state; the session is gone.
	resp = browser.Do(t, http.MethodGet, "/oidc/end_session?"+url.Values{"id_token_hint": {toks.raw},
		"post_logout_redirect_uri": {"https://app.acme.test/bye"}, "state": {"s1"}}.Encode(), nil)
	u := location(t, resp)
	require.Equal(t, "https://app.acme.test/bye?state=s1", u.String())
	ck := resp.Cookie(sessCookie)
	require.NotNil(t, ck, "the session cookie is cleared")
	require.Empty(t, ck.Value)
	require.Empty(t, browser.Cookie(sessCookie))
	fl = newFlow(t)
	r.errorAt(t, r.authorize(t, fl, param("prompt", "none")), fl, "login_required")

	// Logto's SDK: client_id and post_logout_redirect_uri only, as a form.
	fl = newFlow(t)
	r.signInWithPassword(t, fl, "ada", strongPassword)
	sid := browser.Cookie(sessCookie)
	require.NotEmpty(t, sid)
	resp = browser.Do(t, http.MethodPost, "/oidc/end_session", url.Values{"client_id": {app.ID},
		"post_logout_redirect_uri": {"https://app.acme.test/bye"}}.Encode(), WithContentType("application/x-www-form-urlencoded"))
	require.Equal(t, "https://app.acme.test/bye", location(t, resp).String())
	require.Zero(t, f.Redis.Exists(t.Context(), "foyer:sess:{"+sid+"}").Val(), "the login session is deleted")

	// With no client, the browser goes to the tenant's root.
	resp = browser.Do(t, http.MethodGet, "/oidc/end_session", nil)
	require.Equal(t, "/", location(t, resp).String())
}

// TestOIDCClientCredentials: an m2m application gets access tokens for
// the scopes it was granted, with x/oauth2's clientcredentials.
func TestOIDCClientCredentials(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	m2m := createApp(t, f, tid, map[string]any{"name": "Reports job", "type": "m2m", "scopes": []string{"reports:read", "reports:write"}})
	require.Len(t, m2m.Secret, 43)
	r := newRP(t, f, f.hostOf("acme"), spaApp(t, f, tid), browser)
	cc := clientcredentials.Config{ClientID: m2m.ID, ClientSecret: m2m.Secret, TokenURL: r.issuer + "/token"}

	tok, err := cc.Token(r.ctx)
	require.NoError(t, err)
	require.Empty(t, tok.RefreshToken)
	require.Nil(t, tok.Extra("id_token"))
	h, at := jwtParts(t, tok.AccessToken)
	require.Equal(t, "at+jwt", h["typ"])
	require.Equal(t, m2m.ID, at["sub"])
	require.Equal(t, m2m.ID, at["client_id"])
	require.Equal(t, "reports:read reports:write", at["scope"])
	require.Equal(t, tid, at["tenant"])
	require.NotContains(t, at, "gid")

	cc.Scopes = []string{"reports:read"}
	tok, err = cc.Token(r.ctx)
	require.NoError(t, err)
	_, at = jwtParts(t, tok.AccessToken)
	require.Equal(t, "reports:read", at["scope"])

	cc.Scopes = []string{"admin"}
	_, err = cc.Token(r.ctx)
	require.ErrorContains(t, err, "invalid_scope")

	// Userinfo is for users' tokens.
	resp := userinfo(t, f, f.hostOf("acme"), tok.AccessToken)
	require.Equal(t, http.StatusForbidden, resp.Status)
	require.Equal(t, "insufficient_scope", oauthError(t, resp))

	// A rotated secret replaces the old one at once.
	rs := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants/"+tid+"/applications/"+m2m.ID+"/secret", nil)
	require.Equal(t, http.StatusOK, rs.Status, "%s", rs.Body)
	require.Equal(t, "no-store", rs.Header.Get("Cache-Control"))
	var rotated appBody
	rs.JSON(t, &rotated)
	require.NotEqual(t, m2m.Secret, rotated.Secret)
	cc.Scopes = nil
	_, err = cc.Token(r.ctx)
	require.ErrorContains(t, err, "invalid_client")
	cc.ClientSecret = rotated.Secret
	_, err = cc.Token(r.ctx)
	require.NoError(t, err)

	// A public client cannot use the grant.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {r.app.ID}}, "", "")
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Contains(t, []string{"invalid_client", "unauthorized_client"}, oauthError(t, resp))
	requireNoSecretInRedis(t, f, m2m.Secret, rotated.Secret)
}

// TestOIDCKeyRotation: a rotation publishes the new keys at once, signs
// with them after the key cache lifetime, and keeps the old keys published
// so that tokens signed before still verify.
func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_TENANT_CACHE": "1s"})
	tid, browser := oidcTenant(t, f, "acme", nil)
	signUp(t, browser, "ada", "", strongPassword)
	app := spaApp(t, f, tid)
	r := newRP(t, f, f.hostOf("acme"), app, browser)
	fl := newFlow(t)
	before := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)
	oldHeader, _ := jwtParts(t, before.raw)

	type keyList struct {
		Keys []struct {
			KID       string     `json:"kid"`
			Alg       string     `json:"alg"`
			Status    string     `json:"status"`
			RetiresAt *time.Time `json:"retiresAt"`
		} `json:"keys"`
	}
	resp := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants/"+tid+"/signing-keys/rotate", nil)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var kl keyList
	resp.JSON(t, &kl)
	require.Len(t, kl.Keys, 4, "old and new, RS256 and ES256")
	var newRS string
	for _, k := range kl.Keys {
		if k.KID == oldHeader["kid"] {
			require.Equal(t, "current", k.Status, "the old key signs until the new one activates")
			require.NotNil(t, k.RetiresAt)
		}
		if k.Alg == "RS256" && k.Status == "next" {
			newRS = k.KID
		}
	}
	require.NotEmpty(t, newRS)
	var jwks struct {
		Keys []struct{ Kid string } `json:"keys"`
	}
	f.Client(f.hostOf("acme")).Do(t, http.MethodGet, "/oidc/keys", nil).JSON(t, &jwks)
	require.Len(t, jwks.Keys, 4, "the new keys are published at once")

	time.Sleep(1200 * time.Millisecond)
	fl = newFlow(t)
	after := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)
	newHeader, _ := jwtParts(t, after.raw)
	require.Equal(t, newRS, newHeader["kid"], "new tokens carry the new key")
	_, at := jwtParts(t, after.tok.AccessToken)
	require.NotNil(t, at)

	// Tokens signed before still verify: ID token at a fresh client, access
	// token at userinfo.
	fresh := newRP(t, f, f.hostOf("acme"), app, browser)
	_, err := fresh.provider.Verifier(&gooidc.Config{ClientID: app.ID}).Verify(fresh.ctx, before.raw)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, userinfo(t, f, f.hostOf("acme"), before.tok.AccessToken).Status)

	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/signing-keys", nil).JSON(t, &kl)
	for _, k := range kl.Keys {
		switch k.KID {
		case oldHeader["kid"]:
			require.Equal(t, "retired", k.Status)
		case newRS:
			require.Equal(t, "current", k.Status)
		}
	}
	// The private keys are sealed: Redis holds no PEM or JWK "d".
	for _, v := range f.Redis.HVals(t.Context(), "foyer:t:{"+tid+"}:oidc:keys").Val() {
		require.NotContains(t, v, "PRIVATE KEY")
		require.NotContains(t, v, `"d":`)
	}
}

// TestOIDCES256Application: an application can ask for ES256 tokens, which
// go-oidc verifies against the JWKS.
func TestOIDCES256Application(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	signUp(t, browser, "ada", "", strongPassword)
	app := createApp(t, f, tid, map[string]any{"name": "EC app", "type": "web", "signingAlg": "ES256",
		"redirectUris": []string{"https://web.acme.test/cb"}})
	r := newRP(t, f, f.hostOf("acme"), app, browser)
	fl := newFlow(t)
	toks := r.exchange(t, r.codeAt(t, location(t, r.authorize(t, fl)), fl), fl)
	h, _ := jwtParts(t, toks.raw)
	require.Equal(t, "ES256", h["alg"])
	h, _ = jwtParts(t, toks.tok.AccessToken)
	require.Equal(t, "ES256", h["alg"])
	require.Equal(t, http.StatusOK, userinfo(t, f, f.hostOf("acme"), toks.tok.AccessToken).Status)

	// A web client may skip PKCE, but one that sent a challenge must prove it.
	fl = newFlow(t)
	code := r.codeAt(t, location(t, r.authorize(t, fl)), fl)
	_, err := r.cfg.Exchange(r.ctx, code)
	require.ErrorContains(t, err, "invalid_request")
	u, _ := url.Parse(r.cfg.AuthCodeURL("st"))
	code = r.codeAt(t, location(t, browser.Do(t, http.MethodGet, u.RequestURI(), nil)), flow{state: "st"})
	tok, err := r.cfg.Exchange(r.ctx, code)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)

	// client_secret_post (oidcc-server-client-secret-post), and a wrong secret.
	for _, secret := range []string{"wrong", app.Secret} {
		fl = newFlow(t)
		code = r.codeAt(t, location(t, r.authorize(t, fl)), fl)
		resp := r.postForm(t, "/oidc/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"code_verifier": {fl.verifier}, "redirect_uri": {app.RedirectURIs[0]}, "client_id": {app.ID}, "client_secret": {secret}}, "", "")
		if secret == "wrong" {
			require.Equal(t, "invalid_client", oauthError(t, resp))
			continue
		}
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		resp.JSON(t, &tr)
		// Userinfo by POST with the token in the header (oidcc-userinfo-post-header).
		c := f.Client(f.hostOf("acme"))
		c.Bearer, c.Origin = tr.AccessToken, ""
		ur := c.Do(t, http.MethodPost, "/oidc/userinfo", nil)
		require.Equal(t, http.StatusOK, ur.Status, "%s", ur.Body)
	}

	// An ES256 ID token is a valid id_token_hint for end_session.
	resp := browser.Do(t, http.MethodGet, "/oidc/end_session?"+url.Values{"id_token_hint": {toks.raw}}.Encode(), nil)
	require.Equal(t, "/", location(t, resp).String())
	require.Equal(t, http.StatusUnauthorized, browser.Do(t, http.MethodGet, "/api/session", nil).Status)
}
