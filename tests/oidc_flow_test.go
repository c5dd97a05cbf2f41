package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// spaApp is a typical single-page app of tenant tid.
func spaApp(t *testing.T, f *Foyer, tid string) appBody {
	t.Helper()
	return createApp(t, f, tid, map[string]any{
		"name": "Acme SPA", "type": "spa",
		"redirectUris":           []string{"https://app.acme.test/callback"},
		"postLogoutRedirectUris": []string{"https://app.acme.test/bye"},
	})
}

// TestOIDCDiscovery: the metadata go-oidc reads names every endpoint under
// the issuer, the code flow with S256 only, and RS256 among the algorithms.
func TestOIDCDiscovery(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, browser := oidcTenant(t, f, "acme", nil)
	r := newRP(t, f, f.hostOf("acme"), spaApp(t, f, tid), browser)

	var meta struct {
		Issuer          string   `json:"issuer"`
		Auth            string   `json:"authorization_endpoint"`
		Token           string   `json:"token_endpoint"`
		Userinfo        string   `json:"userinfo_endpoint"`
		JWKS            string   `json:"jwks_uri"`
		Revocation      string   `json:"revocation_endpoint"`
		Introspection   string   `json:"introspection_endpoint"`
		EndSession      string   `json:"end_session_endpoint"`
		ResponseTypes   []string `json:"response_types_supported"`
		Challenge       []string `json:"code_challenge_methods_supported"`
		Algs            []string `json:"id_token_signing_alg_values_supported"`
		GrantTypes      []string `json:"grant_types_supported"`
		RequestParamSup bool     `json:"request_parameter_supported"`
	}
	require.NoError(t, r.provider.Claims(&meta))
	iss := "http://" + f.hostOf("acme") + "/oidc"
	require.Equal(t, iss, meta.Issuer)
	for got, want := range map[string]string{
		meta.Auth: "/auth", meta.Token: "/token", meta.Userinfo: "/userinfo", meta.JWKS: "/keys",
		meta.Revocation: "/revoke", meta.Introspection: "/introspect", meta.EndSession: "/end_session",
	} {
		require.Equal(t, iss+want, got)
	}
	require.Equal(t, []string{"code"}, meta.ResponseTypes)
	require.Equal(t, []string{"S256"}, meta.Challenge)
	require.Contains(t, meta.Algs, "RS256")
	require.ElementsMatch(t, []string{"authorization_code", "refresh_token", "client_credentials"}, meta.GrantTypes)
	require.False(t, meta.RequestParamSup)

	// The JWKS has the tenant's RS256 and ES256 keys.
	var jwks struct {
		Keys []struct{ Kid, Alg, Use, Kty string } `json:"keys"`
	}
	userinfoClient := f.Client(f.hostOf("acme"))
	userinfoClient.Do(t, http.MethodGet, "/oidc/keys", nil).JSON(t, &jwks)
	algs := []string{}
	for _, k := range jwks.Keys {
		require.Equal(t, "sig", k.Use)
		require.NotEmpty(t, k.Kid)
		algs = append(algs, k.Alg)
	}
	require.ElementsMatch(t, []string{"RS256", "ES256"}, algs)

	// Another tenant has other keys, and its own issuer.
	tid2, b2 := oidcTenant(t, f, "globex", nil)
	r2 := newRP(t, f, f.hostOf("globex"), spaApp(t, f, tid2), b2)
	var meta2 struct {
		Issuer string `json:"issuer"`
	}
	require.NoError(t, r2.provider.Claims(&meta2))
	require.Equal(t, "http://"+f.hostOf("globex")+"/oidc", meta2.Issuer)
	var jwks2 struct {
		Keys []struct{ Kid string } `json:"keys"`
	}
	f.Client(f.hostOf("globex")).Do(t, http.MethodGet, "/oidc/keys", nil).JSON(t, &jwks2)
	for _, k := range jwks2.Keys {
		for _, k1 := range jwks.Keys {
			require.NotEqual(t, k1.Kid, k.Kid)
		}
	}
}

// TestOIDCCodeFlowWithPassword drives a whole sign-in as an SPA would: the
// authorization request starts an interaction, the interaction API signs
// the user in, the callback gives the code, and the tokens verify.
func TestOIDCCodeFlowWithPassword(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "ada", "ada@example.com", strongPassword)
	app := spaApp(t, f, tid)
	r := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))

	fl := newFlow(t)
	resp := r.authorize(t, fl)
	ixID := toSignIn(t, resp, "/sign-in")
	// The interaction is the API's usual one, remembering its request.
	st := r.browser.Do(t, http.MethodGet, "/api/interaction", nil)
	require.Equal(t, http.StatusOK, st.Status)
	require.Contains(t, string(st.Body), `"event":"SignIn"`)
	require.Contains(t, f.Redis.HGet(t.Context(), ixKey(ixID), "doc").Val(), `"authRequest":"`)

	require.Equal(t, http.StatusNoContent, r.browser.Do(t, http.MethodPut, "/api/interaction", map[string]any{
		"event": "SignIn", "identifier": map[string]any{"username": "ada", "password": strongPassword}}).Status)
	cb := submitForCallback(t, r.browser, r.issuer)
	require.NotEmpty(t, r.browser.Cookie(sessCookie), "submit started a login session")
	code := r.codeAt(t, location(t, follow(t, r.browser, cb)), fl)
	// The callback works once.
	require.Equal(t, http.StatusBadRequest, follow(t, r.browser, cb).Status)

	// Redis keeps the code only under its hash, for 60 s.
	codes := f.scanKeys(t, "foyer:t:{"+tid+"}:oidc:code:*")
	require.Len(t, codes, 1)
	ttl := f.Redis.PTTL(t.Context(), codes[0]).Val()
	require.Greater(t, ttl, time.Duration(0))
	require.LessOrEqual(t, ttl, 60*time.Second)
	requireNoSecretInRedis(t, f, code)

	toks := r.exchange(t, code, fl)
	var claims struct {
		AMR               []string `json:"amr"`
		AuthTime          int64    `json:"auth_time"`
		SID               string   `json:"sid"`
		AZP               string   `json:"azp"`
		PreferredUsername string   `json:"preferred_username"`
		UpdatedAt         int64    `json:"updated_at"`
		Email             string   `json:"email"`
		EmailVerified     *bool    `json:"email_verified"`
	}
	require.NoError(t, toks.id.Claims(&claims))
	require.Equal(t, []string{"pwd"}, claims.AMR)
	require.InDelta(t, time.Now().Unix(), claims.AuthTime, 30)
	require.NotEmpty(t, claims.SID)
	require.NotEqual(t, r.browser.Cookie(sessCookie), claims.SID, "sid is not the session cookie")
	require.Equal(t, app.ID, claims.AZP)
	require.Equal(t, "ada", claims.PreferredUsername)
	require.Equal(t, "ada@example.com", claims.Email)
	require.NotNil(t, claims.EmailVerified)
	require.Positive(t, claims.UpdatedAt)
	// aud is one JSON string (Logto's SDK refuses an array).
	header, payload := jwtParts(t, toks.raw)
	require.Equal(t, app.ID, payload["aud"])
	require.Equal(t, "RS256", header["alg"])
	require.NotEmpty(t, header["kid"])

	// The access token is an RFC 9068 JWT.
	atHeader, at := jwtParts(t, toks.tok.AccessToken)
	require.Equal(t, "at+jwt", atHeader["typ"])
	require.Equal(t, toks.id.Subject, at["sub"])
	require.Equal(t, app.ID, at["client_id"])
	require.Equal(t, "openid profile email offline_access", at["scope"])
	require.Equal(t, tid, at["tenant"])
	require.EqualValues(t, claims.AuthTime, at["auth_time"])
	require.Equal(t, []any{r.issuer}, at["aud"], "no account audience without the account scope")

	// Userinfo, as go-oidc calls it.
	ui, err := r.provider.UserInfo(r.ctx, oauth2.StaticTokenSource(toks.tok))
	require.NoError(t, err)
	require.Equal(t, toks.id.Subject, ui.Subject)
	require.Equal(t, "ada@example.com", ui.Email)

	// Refresh as x/oauth2 does it (no scope): a new refresh token, a new ID
	// token for the same user and sign-in, no nonce.
	rt1 := toks.tok.RefreshToken
	require.NotEmpty(t, rt1)
	tok2, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: rt1, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.NoError(t, err)
	rt2 := tok2.RefreshToken
	require.NotEqual(t, rt1, rt2, "refresh tokens rotate")
	idt2, err := r.provider.Verifier(&gooidc.Config{ClientID: app.ID}).Verify(r.ctx, tok2.Extra("id_token").(string))
	require.NoError(t, err)
	require.Equal(t, toks.id.Subject, idt2.Subject)
	var claims2 struct {
		AuthTime int64 `json:"auth_time"`
	}
	require.NoError(t, idt2.Claims(&claims2))
	require.Equal(t, claims.AuthTime, claims2.AuthTime)
	require.Empty(t, idt2.Nonce)

	// Refresh with a narrower scope (oidc-client-ts sends one): granted for
	// this answer, and the answer is not cacheable.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2},
		"client_id": {app.ID}, "scope": {"openid profile"}}, "", "")
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
	}
	resp.JSON(t, &tr)
	require.Equal(t, "openid profile", tr.Scope)
	_, at3 := jwtParts(t, tr.AccessToken)
	require.Equal(t, "openid profile", at3["scope"])
	// A wider scope than granted is refused, and leaves the token usable.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken},
		"client_id": {app.ID}, "scope": {"openid phone"}}, "", "")
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Equal(t, "invalid_scope", oauthError(t, resp))
	require.Equal(t, http.StatusOK, userinfo(t, f, f.hostOf("acme"), tr.AccessToken).Status)

	// Reusing a rotated refresh token fails and revokes the whole family:
	// the newest refresh token and its access token stop working too.
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "client_id": {app.ID}}, "", "")
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Equal(t, "invalid_grant", oauthError(t, resp))
	resp = r.postForm(t, "/oidc/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}, "client_id": {app.ID}}, "", "")
	require.Equal(t, "invalid_grant", oauthError(t, resp))
	ur := userinfo(t, f, f.hostOf("acme"), tr.AccessToken)
	require.Equal(t, http.StatusUnauthorized, ur.Status)
	require.Contains(t, ur.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
	requireNoSecretInRedis(t, f, strings.SplitN(rt1, ".", 2)[1], strings.SplitN(tr.RefreshToken, ".", 2)[1])
}

// TestOIDCRevokeAndIntrospect: a public client revokes with its client id
// only; a confidential client introspects; both per RFC 7009 and 7662.
func TestOIDCRevokeAndIntrospect(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tid, _ := oidcTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "ada", "", strongPassword)
	app := spaApp(t, f, tid)
	api := createApp(t, f, tid, map[string]any{"name": "Acme API", "type": "web", "redirectUris": []string{"https://api.acme.test/cb"}})
	r := newRP(t, f, f.hostOf("acme"), app, tenantBrowser(f, "acme"))
	fl := newFlow(t)
	toks := r.exchange(t, r.signInWithPassword(t, fl, "ada", strongPassword), fl)

	introspect := func(token string) map[string]any {
		t.Helper()
		resp := r.postForm(t, "/oidc/introspect", url.Values{"token": {token}}, api.ID, api.Secret)
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		var out map[string]any
		resp.JSON(t, &out)
		return out
	}
	at := introspect(toks.tok.AccessToken)
	require.Equal(t, true, at["active"])
	require.Equal(t, app.ID, at["client_id"])
	require.Equal(t, toks.id.Subject, at["sub"])
	require.Equal(t, "Bearer", at["token_type"])
	rt := introspect(toks.tok.RefreshToken)
	require.Equal(t, true, rt["active"])
	require.Equal(t, "refresh_token", rt["token_type"])
	require.Equal(t, map[string]any{"active": false}, introspect("not-a-token"))

	// Introspection needs an authenticated confidential client.
	resp := r.postForm(t, "/oidc/introspect", url.Values{"token": {toks.tok.AccessToken}}, api.ID, "wrong")
	require.Equal(t, http.StatusUnauthorized, resp.Status)
	require.Equal(t, "invalid_client", oauthError(t, resp))
	resp = r.postForm(t, "/oidc/introspect", url.Values{"token": {toks.tok.AccessToken}, "client_id": {app.ID}}, "", "")
	require.Equal(t, "invalid_client", oauthError(t, resp))

	// Another client may not revoke the SPA's token.
	resp = r.postForm(t, "/oidc/revoke", url.Values{"token": {toks.tok.AccessToken}}, api.ID, api.Secret)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	require.Equal(t, "invalid_client", oauthError(t, resp))

	// The SPA revokes its access token with its client id only.
	resp = r.postForm(t, "/oidc/revoke", url.Values{"token": {toks.tok.AccessToken}, "client_id": {app.ID},
		"token_type_hint": {"access_token"}}, "", "")
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	require.Equal(t, http.StatusUnauthorized, userinfo(t, f, f.hostOf("acme"), toks.tok.AccessToken).Status)
	require.Equal(t, map[string]any{"active": false}, introspect(toks.tok.AccessToken))
	require.Equal(t, true, introspect(toks.tok.RefreshToken)["active"], "revoking an access token leaves the refresh token")

	// Revoking the refresh token (as Logto's SDK does before signing out)
	// ends the family; revoking again or an unknown token is no error.
	for range 2 {
		resp = r.postForm(t, "/oidc/revoke", url.Values{"token": {toks.tok.RefreshToken}, "client_id": {app.ID}}, "", "")
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	}
	require.Equal(t, map[string]any{"active": false}, introspect(toks.tok.RefreshToken))
	_, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: toks.tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.ErrorContains(t, err, "invalid_grant")
	resp = r.postForm(t, "/oidc/revoke", url.Values{"token": {"whatever"}, "client_id": {app.ID}}, "", "")
	require.Equal(t, http.StatusOK, resp.Status)
}
