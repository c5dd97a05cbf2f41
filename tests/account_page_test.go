package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// TestAccountPage: the rest of what an account page does with the API:
// profile, an authenticator app (first factor: backup codes), a passkey,
// renaming it, new backup codes, a new password, login sessions, and
// removing factors.
func TestAccountPage(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := newAccountTenant(t, f, "acme", nil)
	browser := tenantBrowser(f, "acme")
	signUp(t, browser, "kim", "kim@example.com", strongPassword)
	api := acme.api(acme.passwordToken(t, "kim", strongPassword))

	var profile struct {
		ID           string   `json:"id"`
		Username     string   `json:"username"`
		PrimaryEmail string   `json:"primaryEmail"`
		HasPassword  bool     `json:"hasPassword"`
		Factors      []string `json:"factors"`
	}
	r := api.Do(t, http.MethodGet, "/v1/users/me", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &profile)
	require.Equal(t, "kim", profile.Username)
	require.Equal(t, "kim@example.com", profile.PrimaryEmail)
	require.True(t, profile.HasPassword)
	require.Empty(t, profile.Factors)

	// Backup codes alone are refused.
	requireError(t, api.Do(t, http.MethodPost, "/v1/users/me/mfa/backup-codes", nil), http.StatusBadRequest, "mfa.backup_code_can_not_be_alone")

	// An authenticator app: a secret, then its first code.
	r = api.Do(t, http.MethodPost, "/v1/users/me/mfa/totp", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var secret struct {
		Secret string `json:"secret"`
		URI    string `json:"uri"`
	}
	r.JSON(t, &secret)
	requireNoSecretInRedis(t, f, secret.Secret)
	requireError(t, api.Do(t, http.MethodPost, "/v1/users/me/mfa/totp/complete", map[string]any{"code": "000000"}),
		http.StatusBadRequest, "mfa.invalid_totp_code")
	r = api.Do(t, http.MethodPost, "/v1/users/me/mfa/totp/complete", map[string]any{"code": totpCode(t, secret.Secret, time.Now())})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var codes codesOut
	r.JSON(t, &codes)
	require.Len(t, codes.Codes, 10)
	requireError(t, api.Do(t, http.MethodPost, "/v1/users/me/mfa/totp", nil), http.StatusUnprocessableEntity, "user.totp_already_in_use")
	requireError(t, api.Do(t, http.MethodPost, "/v1/users/me/mfa/totp/complete", map[string]any{"code": "123456"}),
		http.StatusNotFound, "not_found")

	// A passkey is not the first factor any more: no codes. Rename it.
	id := enrollPasskey(t, acme, api, "webauthn_passkey", authenticator.New())
	r = api.Do(t, http.MethodPatch, "/v1/users/me/mfa/webauthn/"+id, map[string]any{"name": "Laptop"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var renamed struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	r.JSON(t, &renamed)
	require.Equal(t, id, renamed.ID)
	require.Equal(t, "Laptop", renamed.Name)
	requireError(t, api.Do(t, http.MethodPatch, "/v1/users/me/mfa/webauthn/nope", map[string]any{"name": "x"}), http.StatusNotFound, "not_found")

	// Backup codes: how many are left, and new ones.
	var left struct {
		Remaining int `json:"remaining"`
	}
	api.Do(t, http.MethodGet, "/v1/users/me/mfa/backup-codes", nil).JSON(t, &left)
	require.Equal(t, 10, left.Remaining)
	r = api.Do(t, http.MethodPost, "/v1/users/me/mfa/backup-codes", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var fresh codesOut
	r.JSON(t, &fresh)
	require.Len(t, fresh.Codes, 10)
	require.NotEqual(t, codes.Codes, fresh.Codes)

	// A new password: the current one is required, and the policy applies.
	const newPassword = "another correct horse, battery staple"
	requireError(t, api.Do(t, http.MethodPut, "/v1/users/me/password", map[string]any{"currentPassword": "wrong", "newPassword": newPassword}),
		http.StatusUnprocessableEntity, "password.current_mismatch")
	requireError(t, api.Do(t, http.MethodPut, "/v1/users/me/password", map[string]any{"currentPassword": strongPassword, "newPassword": "short"}),
		http.StatusUnprocessableEntity, "password.rejected")
	require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodPut, "/v1/users/me/password",
		map[string]any{"currentPassword": strongPassword, "newPassword": newPassword}).Status)
	require.Equal(t, http.StatusUnprocessableEntity, signIn(t, tenantBrowser(f, "acme"), "username", "kim", strongPassword).Status)
	require.Equal(t, http.StatusNoContent, signIn(t, tenantBrowser(f, "acme"), "username", "kim", newPassword).Status)

	// Login sessions: the sign-up's browser is one; ending it signs that
	// browser out.
	r = api.Do(t, http.MethodGet, "/v1/users/me/sessions", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var sessions struct {
		Sessions []struct {
			ID      string   `json:"id"`
			Methods []string `json:"methods"`
		} `json:"sessions"`
	}
	r.JSON(t, &sessions)
	require.Len(t, sessions.Sessions, 2, "the sign-up and the sign-in of the code flow")
	require.Equal(t, http.StatusOK, browser.Do(t, http.MethodGet, "/api/session", nil).Status)
	for _, s := range sessions.Sessions {
		require.Len(t, s.ID, 22, "a public id, not the cookie")
		require.NotEqual(t, browser.Cookie(sessCookie), s.ID)
		require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodDelete, "/v1/users/me/sessions/"+s.ID, nil).Status)
	}
	require.NotEqual(t, http.StatusOK, browser.Do(t, http.MethodGet, "/api/session", nil).Status)
	requireError(t, api.Do(t, http.MethodDelete, "/v1/users/me/sessions/"+sessions.Sessions[0].ID, nil), http.StatusNotFound, "not_found")

	// Removing factors: the app, then the passkey, and the backup codes go
	// with the last one.
	require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/totp", nil).Status)
	requireError(t, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/totp", nil), http.StatusNotFound, "not_found")
	require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/webauthn/"+id, nil).Status)
	var factors struct {
		Factors []json.RawMessage `json:"factors"`
	}
	api.Do(t, http.MethodGet, "/v1/users/me/mfa", nil).JSON(t, &factors)
	require.Empty(t, factors.Factors)
}

// TestAccountReauthentication: with reauthMaxAge of three seconds, a token
// whose sign-in is four seconds old cannot remove a factor, make backup
// codes, change the password or make a personal access token (403
// reauthentication_required, details.maxAge); a token from a new sign-in
// can.
func TestAccountReauthentication(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := newAccountTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "leo", "leo@example.com", strongPassword)
	old := acme.api(acme.passwordToken(t, "leo", strongPassword))
	a := authenticator.New()
	id := enrollPasskey(t, acme, old, "webauthn_passkey", a)

	// Three seconds leave a new sign-in time to make its call on a busy
	// machine; the old one is older than that after four.
	patchSettings(t, f, "acme", map[string]any{"reauthMaxAge": 3})
	time.Sleep(4 * time.Second)
	for _, call := range []struct{ method, path string }{
		{http.MethodDelete, "/v1/users/me/mfa/webauthn/" + id},
		{http.MethodPost, "/v1/users/me/mfa/backup-codes"},
		{http.MethodPut, "/v1/users/me/password"},
		{http.MethodPost, "/v1/users/me/tokens"},
	} {
		var body any
		switch call.path {
		case "/v1/users/me/password":
			body = map[string]any{"currentPassword": strongPassword, "newPassword": "yet another correct horse battery"}
		case "/v1/users/me/tokens":
			body = map[string]any{"name": "cli"}
		}
		e := requireError(t, old.Do(t, call.method, call.path, body), http.StatusForbidden, "reauthentication_required")
		require.JSONEq(t, `{"maxAge":3}`, string(e.Details), call.path)
	}
	// The old token still does what needs no recent sign-in.
	require.Equal(t, http.StatusOK, old.Do(t, http.MethodGet, "/v1/users/me/mfa", nil).Status)

	// A new sign-in (with the passkey: the account has a second factor).
	fresh := acme.api(acme.passkeyToken(t, a))
	require.Equal(t, http.StatusNoContent, fresh.Do(t, http.MethodDelete, "/v1/users/me/mfa/webauthn/"+id, nil).Status)
}
