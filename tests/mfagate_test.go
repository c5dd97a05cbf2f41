package tests

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// resetPassword runs a ForgotPassword interaction by email code on c and
// returns the submit answer.
func resetPassword(t *testing.T, c *Client, mail *smtptest.Server, email, password string) *Response {
	t.Helper()
	start(t, c, "ForgotPassword")
	code := emailCode(t, c, mail, email)
	r := identify(t, c, map[string]any{"email": email, "verificationCode": code})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": password})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Empty(t, fullStateOf(t, c).Missing, "a reset needs no second factor")
	return submit(t, c)
}

// TestResetDoesNotSkipMFA: with signInAfterReset, a reset signs in only a
// user the sign-in's MFA gate lets through. A user with a second factor gets
// the new password and a 204, and then signs in with it and the factor.
func TestResetDoesNotSkipMFA(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	const newPassword = "a brand new passphrase 42"

	c := mailTenant(t, f, "acme", mail, map[string]any{"signInAfterReset": true, "mfa": map[string]any{"policy": "prompt"}})
	secret := signUpWithTOTP(t, tenantBrowser(f, "acme"), "tina", "tina@acme.test")
	r := resetPassword(t, c, mail, "tina@acme.test", newPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Empty(t, c.Cookie(sessCookie), "a reset signs no one past the MFA gate")
	require.Empty(t, c.Cookie(ixCookie))
	require.Empty(t, f.scanKeys(t, "foyer:sess:*"))
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "the reset is done: nothing is left to submit again")

	// The new password is set, and signing in with it asks for the factor.
	requireError(t, signIn(t, c, "username", "tina", strongPassword), http.StatusUnprocessableEntity, "session.invalid_credentials")
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"username": "tina", "password": newPassword}).Status)
	requireError(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": code}).Status)
	submitOK(t, c)
	_, methods := sessionInfo(t, c)
	require.Equal(t, []string{"password", "totp"}, methods)

	// A user the gate lets through (no factor, policy off) is signed in.
	p := mailTenant(t, f, "plain", mail, map[string]any{"signInAfterReset": true})
	signUp(t, tenantBrowser(f, "plain"), "pia", "pia@plain.test", strongPassword)
	r = resetPassword(t, p, mail, "pia@plain.test", newPassword)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotEmpty(t, p.Cookie(sessCookie))
	_, methods = sessionInfo(t, p)
	require.Equal(t, []string{"emailCode"}, methods)
}

// TestPasskeyIsNotItsOwnSecondFactor: after a passkey without user
// verification identified the user, an assertion of that passkey without
// user verification is no second factor; the options for it ask for user
// verification, and one with it is.
func TestPasskeyIsNotItsOwnSecondFactor(t *testing.T) {
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", map[string]any{"residentKey": "required", "userVerification": "preferred"})
	a := authenticator.New()
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "vera", "password": strongPassword}).Status)
	bindPasskey(t, c, a)
	submitOK(t, c)
	signOut(t, c)

	a.UV = false // a security key without a PIN, say
	start(t, c, "SignIn")
	assertion, err := a.Login(authenticationOptions(t, c), c.Origin)
	require.NoError(t, err)
	r := identify(t, c, map[string]any{"passkey": json.RawMessage(assertion)})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	e := requireError(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
	require.JSONEq(t, `{"availableFactors":["WebAuthn"],"skippable":false}`, string(e.Details))

	mfa := func() *Response {
		opts := authenticationOptions(t, c)
		var ro struct {
			UserVerification string `json:"userVerification"`
		}
		require.NoError(t, json.Unmarshal(opts, &ro))
		require.Equal(t, "required", ro.UserVerification, "only user verification adds a factor to the passkey")
		assertion, err := a.Login(opts, c.Origin)
		require.NoError(t, err)
		return c.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn"))
	}
	requireError(t, mfa(), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	require.Equal(t, []string{"mfa"}, fullStateOf(t, c).Missing)
	requireError(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
	require.Empty(t, c.Cookie(sessCookie))

	a.UV = true
	r = mfa()
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Empty(t, fullStateOf(t, c).Missing)
	submitOK(t, c)
	_, methods := sessionInfo(t, c)
	require.Equal(t, []string{"passkey", "webauthn"}, methods)
}

// requireMissing asserts the state's missing list, and that submit refuses
// with status and code while it is not empty.
func requireMissing(t *testing.T, c *Client, want []string, status int, code string) {
	t.Helper()
	require.Equal(t, want, fullStateOf(t, c).Missing)
	if len(want) > 0 {
		requireError(t, submit(t, c), status, code)
	}
}

// TestStateSaysWhatSubmitNeeds: GET /api/interaction lists what submit
// still refuses for: a second factor to verify or bind, backup codes, a new
// password.
func TestStateSaysWhatSubmitNeeds(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, map[string]any{"mfa": map[string]any{"policy": "prompt", "backupCodes": true}})
	m := mailTenant(t, f, "strict", mail, map[string]any{"mfa": map[string]any{"policy": "mandatory"}})

	// Register: the profile, then a factor (and backup codes) or a skip.
	start(t, c, "Register")
	requireMissing(t, c, []string{"username", "password", "mfa-binding"}, http.StatusUnprocessableEntity, "user.missing_profile")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "olga", "email": "olga@acme.test", "password": strongPassword}).Status)
	requireMissing(t, c, []string{"mfa-binding"}, http.StatusUnprocessableEntity, "user.missing_mfa")
	secret := bindTOTP(t, c)
	requireMissing(t, c, []string{"backup-codes"}, http.StatusBadRequest, "session.mfa.backup_code_required")
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodPost, "/api/interaction/verification/backup-codes", map[string]any{}).Status)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", map[string]any{"type": "BackupCode"}).Status)
	requireMissing(t, c, []string{}, 0, "")
	submitOK(t, c)
	signOut(t, c)

	start(t, m, "Register")
	require.Equal(t, http.StatusNoContent, m.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "max", "password": strongPassword}).Status)
	requireMissing(t, m, []string{"mfa-binding"}, http.StatusUnprocessableEntity, "user.missing_mfa")

	// SignIn: an identifier, then the second factor.
	start(t, c, "SignIn")
	requireMissing(t, c, []string{"identifier"}, http.StatusNotFound, "session.identifier_not_found")
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"username": "olga", "password": strongPassword}).Status)
	requireMissing(t, c, []string{"mfa"}, http.StatusForbidden, "session.mfa.require_mfa_verification")
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": code}).Status)
	requireMissing(t, c, []string{}, 0, "")

	// ForgotPassword: a code's identification and a new password.
	start(t, c, "ForgotPassword")
	requireMissing(t, c, []string{"identifier", "password"}, http.StatusNotFound, "session.identifier_not_found")
	code = emailCode(t, c, mail, "olga@acme.test")
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"email": "olga@acme.test", "verificationCode": code}).Status)
	requireMissing(t, c, []string{"password"}, http.StatusUnprocessableEntity, "user.new_password_required_in_profile")
}
