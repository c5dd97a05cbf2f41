package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

const (
	mailcheapOptions = "/api/v1/webauthn/registration/options/"
	mailcheapVerify  = "/api/v1/webauthn/registration/verify/"
)

// TestMailcheapRegistrationOptions calls the options as seed 003's
// requests.get(url, auth=(username, token)) does: HTTP Basic with a
// personal access token made in the account API. The tenant lists all
// nine algorithms, and the options say so at the top level. The passkey
// then signs the user in.
func TestMailcheapRegistrationOptions(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	nine := []int{-7, -8, -36, -37, -38, -39, -257, -258, -259}
	acme := newAccountTenant(t, f, "acme", map[string]any{"passkey": map[string]any{
		"pubKeyCredParams": nine, "residentKey": "required", "timeout": 60000}})
	signUp(t, tenantBrowser(f, "acme"), "masteradmin2", "ma2@example.com", strongPassword)
	me := acme.api(acme.passwordToken(t, "masteradmin2", strongPassword))

	r := me.Do(t, http.MethodPost, "/v1/users/me/tokens", map[string]any{"name": "mail CLI", "expiresInDays": 30})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var pat struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	r.JSON(t, &pat)
	require.True(t, strings.HasPrefix(pat.Token, pat.ID+"."))
	requireNoSecretInRedis(t, f, pat.Token, strings.TrimPrefix(pat.Token, pat.ID+"."))

	// requests.get(url, auth=("masteradmin2", token)): GET, Basic, no body.
	client := acme.api("")
	r = client.Do(t, http.MethodGet, mailcheapOptions, nil, basicAuth("masteradmin2", pat.Token))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var all map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &all))
	for _, k := range []string{"rp", "user", "challenge", "pubKeyCredParams", "timeout", "excludeCredentials", "authenticatorSelection", "attestation"} {
		require.Contains(t, all, k, "top-level %s, as in the seed", k)
	}
	var o creationOptions
	r.JSON(t, &o)
	algs := []int{}
	for _, p := range o.PubKeyCredParams {
		require.Equal(t, "public-key", p.Type)
		algs = append(algs, p.Alg)
	}
	require.Equal(t, nine, algs)
	require.Equal(t, 60000, o.Timeout)
	require.Equal(t, "masteradmin2", o.User.Name)
	require.Equal(t, "acme."+baseDomain, o.RP.ID)
	require.True(t, o.AuthenticatorSelection.RequireResidentKey)
	require.Equal(t, "required", o.AuthenticatorSelection.ResidentKey)

	a := authenticator.New()
	_, resp, err := a.Register(r.Body, acme.origin())
	require.NoError(t, err)
	r = client.Do(t, http.MethodPost, mailcheapVerify, resp, basicAuth("masteradmin2", pat.Token))
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var v struct {
		Verified bool `json:"verified"`
		Factor   struct {
			Type string `json:"type"`
		} `json:"factor"`
	}
	r.JSON(t, &v)
	require.True(t, v.Verified)
	require.Equal(t, "webauthn", v.Factor.Type)
	requireError(t, client.Do(t, http.MethodPost, mailcheapVerify, resp, basicAuth("masteradmin2", pat.Token)), http.StatusNotFound, "not_found")
	acme.passkeySignIn(t, a, "masteradmin2")

	// The token is listed (used just now), never with its secret.
	r = me.Do(t, http.MethodGet, "/v1/users/me/tokens", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), strings.TrimPrefix(pat.Token, pat.ID+"."))
	var list struct {
		Tokens []struct {
			ID         string  `json:"id"`
			Name       string  `json:"name"`
			LastUsedAt *string `json:"lastUsedAt"`
			ExpiresAt  *string `json:"expiresAt"`
		} `json:"tokens"`
	}
	r.JSON(t, &list)
	require.Len(t, list.Tokens, 1)
	require.Equal(t, "mail CLI", list.Tokens[0].Name)
	require.NotNil(t, list.Tokens[0].LastUsedAt)
	require.NotNil(t, list.Tokens[0].ExpiresAt)

	// Wrong credentials: 401 with a Basic challenge, the same for each.
	for name, auth := range map[string]Opt{
		"no credentials": nil, "wrong token": basicAuth("masteradmin2", pat.ID+".AAAA"),
		"unknown user": basicAuth("nobody", pat.Token), "not Basic": WithHeader("Authorization", "Bearer "+pat.Token),
		"email and wrong token": basicAuth("ma2@example.com", "x"),
	} {
		opts := []Opt{}
		if auth != nil {
			opts = append(opts, auth)
		}
		r := client.Do(t, http.MethodGet, mailcheapOptions, nil, opts...)
		requireError(t, r, http.StatusUnauthorized, "unauthenticated")
		require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic "), name)
	}
	// The email works as the username too.
	require.Equal(t, http.StatusOK, client.Do(t, http.MethodGet, mailcheapOptions, nil, basicAuth("ma2@example.com", pat.Token)).Status)

	// Revoked, the token stops working at once.
	require.Equal(t, http.StatusNoContent, me.Do(t, http.MethodDelete, "/v1/users/me/tokens/"+pat.ID, nil).Status)
	requireError(t, me.Do(t, http.MethodDelete, "/v1/users/me/tokens/"+pat.ID, nil), http.StatusNotFound, "not_found")
	requireError(t, client.Do(t, http.MethodGet, mailcheapOptions, nil, basicAuth("masteradmin2", pat.Token)),
		http.StatusUnauthorized, "unauthenticated")
}
