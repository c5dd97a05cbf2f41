package tests

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// conditionalOptions asks for creation options for a conditional create.
func conditionalOptions(t *testing.T, c *Client) []byte {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-registration", map[string]any{"mediation": "conditional"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	return r.Body
}

// TestConditionalRegistration: a credential created without user presence
// (what a browser's conditional create answers) is accepted only for a
// registration begun as conditional, and proves nothing: it is bound, but
// is no second-factor verification and adds nothing to the session's
// methods.
func TestConditionalRegistration(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := createTenant(t, f, map[string]any{"slug": "acme", "settings": map[string]any{
		"passkey": map[string]any{"userVerification": "required", "residentKey": "discouraged"}}})
	c := tenantBrowser(f, acme.Slug)
	silent := authenticator.New(authenticator.WithUP(false), authenticator.WithUV(false))

	signUp(t, c, "cora", "", strongPassword)
	signOut(t, c)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "cora", strongPassword).Status)
	raw := conditionalOptions(t, c)
	var opts creationOptions
	require.NoError(t, json.Unmarshal(raw, &opts))
	require.Equal(t, "preferred", opts.AuthenticatorSelection.UserVerification, "never required: the browser verifies nobody")
	require.Equal(t, "required", opts.AuthenticatorSelection.ResidentKey, "a passkey")
	cred, resp, err := silent.Register(raw, c.Origin)
	require.NoError(t, err)
	r := c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", json.RawMessage(resp))
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	submitOK(t, c)
	_, methods := sessionInfo(t, c)
	require.Equal(t, []string{"password"}, methods, "a silent creation proves nothing")

	r = c.Do(t, http.MethodGet, "/api/session/passkeys", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	var signals struct {
		RPID                     string   `json:"rpId"`
		UserID                   string   `json:"userId"`
		Name                     string   `json:"name"`
		DisplayName              string   `json:"displayName"`
		AllAcceptedCredentialIDs []string `json:"allAcceptedCredentialIds"`
	}
	r.JSON(t, &signals)
	require.Equal(t, "acme."+baseDomain, signals.RPID)
	require.Equal(t, opts.User.ID, signals.UserID)
	require.Equal(t, "cora", signals.Name)
	require.Equal(t, "cora", signals.DisplayName)
	require.Equal(t, []string{base64.RawURLEncoding.EncodeToString(cred.ID)}, signals.AllAcceptedCredentialIDs)
	signOut(t, c)
	requireError(t, c.Do(t, http.MethodGet, "/api/session/passkeys", nil), http.StatusUnauthorized, "session.unauthorized")

	// The same answer for an ordinary registration: refused.
	signUp(t, c, "dina", "", strongPassword)
	signOut(t, c)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "dina", strongPassword).Status)
	_, resp, err = silent.Register(registrationOptions(t, c), c.Origin)
	require.NoError(t, err)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", json.RawMessage(resp)),
		http.StatusBadRequest, "session.mfa.webauthn_verification_failed")

	e := requireError(t, c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-registration", map[string]any{"mediation": "silent"}),
		http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, []FieldError{{Field: "mediation", Rule: "oneof", Param: "conditional"}}, e.Fields(t))
}

// TestRelatedOrigins: the RP ID host serves the related origins document;
// a ceremony from a listed origin on another domain is accepted, one from a
// tenant host outside the RP ID and not listed is refused.
func TestRelatedOrigins(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	ror := createTenant(t, f, map[string]any{"slug": "ror", "hosts": []string{"app.example", "far.example"},
		"settings": map[string]any{"rpId": "ror." + baseDomain, "relatedOrigins": []string{"https://app.example"}}})
	require.Equal(t, []string{"ror." + baseDomain, "app.example", "far.example"}, ror.Hosts)

	r := f.Tenant("ror").Do(t, http.MethodGet, "/.well-known/webauthn", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	require.JSONEq(t, `{"origins":["https://app.example"]}`, string(r.Body))
	requireError(t, f.Client("app.example").Do(t, http.MethodGet, "/.well-known/webauthn", nil), http.StatusNotFound, "request.not_found")

	bindFrom := func(host, username string) *Response {
		c := f.Client(host)
		c.Origin = "https://" + host
		start(t, c, "Register")
		require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
			map[string]any{"username": username, "password": strongPassword}).Status)
		raw := registrationOptions(t, c)
		var opts creationOptions
		require.NoError(t, json.Unmarshal(raw, &opts))
		require.Equal(t, "ror."+baseDomain, opts.RP.ID)
		_, resp, err := authenticator.New().Register(raw, c.Origin)
		require.NoError(t, err)
		return c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", json.RawMessage(resp))
	}
	require.Equal(t, http.StatusNoContent, bindFrom("app.example", "uma").Status, "a related origin")
	requireError(t, bindFrom("far.example", "vic"), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
}

// TestRPIDCoveringNoHost: a tenant whose RP ID covers none of its hosts,
// with no related origin, can run no ceremony: the options say so.
func TestRPIDCoveringNoHost(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	createTenant(t, f, map[string]any{"slug": "odd", "settings": map[string]any{"rpId": "elsewhere.example"}})
	c := tenantBrowser(f, "odd")
	start(t, c, "SignIn")
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-authentication", map[string]any{}),
		http.StatusBadRequest, "session.mfa.webauthn_origin_not_allowed")
}

// TestAuthenticationOptionsWithoutPasskey: request options for a user
// identified by a password who has no passkey are Logto's 400
// session.mfa.webauthn_verification_not_found (no authenticator could
// answer them), not a 500; the interaction goes on.
func TestAuthenticationOptionsWithoutPasskey(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	createTenant(t, f, map[string]any{"slug": "acme"})
	c := tenantBrowser(f, "acme")
	signUp(t, c, "wendy", "", strongPassword)
	signOut(t, c)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "wendy", strongPassword).Status)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-authentication", map[string]any{}),
		http.StatusBadRequest, "session.mfa.webauthn_verification_not_found")
	submitOK(t, c)
}
