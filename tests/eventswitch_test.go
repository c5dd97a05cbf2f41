package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// signUpWithTOTP signs up username (with email, if not empty) on c's tenant,
// binding a TOTP factor, and signs out again. It returns the TOTP secret.
func signUpWithTOTP(t *testing.T, c *Client, username, email string) string {
	t.Helper()
	start(t, c, "Register")
	profile := map[string]any{"username": username, "password": strongPassword}
	if email != "" {
		profile["email"] = email
	}
	r := c.Do(t, http.MethodPatch, "/api/interaction/profile", profile)
	require.Equal(t, http.StatusNoContent, r.Status, "PATCH profile: %s", r.Body)
	secret := bindTOTP(t, c)
	submitOK(t, c)
	signOut(t, c)
	return secret
}

// setEvent sends PUT /api/interaction/event.
func setEvent(t *testing.T, c *Client, event string) {
	t.Helper()
	r := c.Do(t, http.MethodPut, "/api/interaction/event", map[string]any{"event": event})
	require.Equal(t, http.StatusNoContent, r.Status, "PUT event %s: %s", event, r.Body)
}

// TestEventChangeDropsIdentification: changing the event keeps nothing the
// new event does not accept. A password that identified a SignIn does not
// identify the ForgotPassword it becomes (so it cannot reset the password of
// a user with a second factor, nor sign them in), and a factor bound in a
// Register does not count as the second factor of the SignIn it becomes (nor
// replace the signing-in user's factor).
func TestEventChangeDropsIdentification(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, map[string]any{"signInAfterReset": true, "mfa": map[string]any{"policy": "prompt"}})
	victim := signUpWithTOTP(t, tenantBrowser(f, "acme"), "vic", "vic@acme.test")

	t.Run("password, then ForgotPassword", func(t *testing.T) {
		const stolen = "a password the victim never chose 1"
		require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "vic", strongPassword).Status)
		require.True(t, fullStateOf(t, c).Identified)
		setEvent(t, c, "ForgotPassword")
		st := fullStateOf(t, c)
		require.False(t, st.Identified, "the password identified a SignIn, not this ForgotPassword")
		require.Empty(t, st.VerifiedIdentifiers)
		require.Equal(t, []string{"identifier", "password"}, st.Missing)
		r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": stolen})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		requireError(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
		require.Empty(t, c.Cookie(sessCookie))
		require.Empty(t, f.scanKeys(t, "foyer:sess:*"))

		// The password is unchanged.
		other := tenantBrowser(f, "acme")
		requireError(t, signIn(t, other, "username", "vic", stolen), http.StatusUnprocessableEntity, "session.invalid_credentials")
		require.Equal(t, http.StatusNoContent, signIn(t, other, "username", "vic", strongPassword).Status)
	})

	t.Run("factor bound in Register, then SignIn", func(t *testing.T) {
		start(t, c, "Register")
		mine := bindTOTP(t, c)
		setEvent(t, c, "SignIn")
		st := fullStateOf(t, c)
		require.Equal(t, []string{"identifier"}, st.Missing)
		require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"username": "vic", "password": strongPassword}).Status)
		e := requireError(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
		require.JSONEq(t, `{"availableFactors":["Totp"],"skippable":false}`, string(e.Details))
		require.Empty(t, c.Cookie(sessCookie))

		// The victim's TOTP is still theirs: the binding's code is refused,
		// the victim's app's code is taken.
		next := time.Now().Add(30 * time.Second)
		requireError(t, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": totpCode(t, mine, next)}),
			http.StatusBadRequest, "session.mfa.invalid_totp_code")
		r := c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": totpCode(t, victim, next)})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		submitOK(t, c)
		_, methods := sessionInfo(t, c)
		require.Equal(t, []string{"password", "totp"}, methods)
		signOut(t, c)
	})

	t.Run("email code of a SignIn, then ForgotPassword", func(t *testing.T) {
		start(t, c, "SignIn")
		code := emailCode(t, c, mail, "vic@acme.test")
		require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"email": "vic@acme.test", "verificationCode": code}).Status)
		setEvent(t, c, "ForgotPassword")
		require.False(t, fullStateOf(t, c).Identified)
		r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": "another fresh passphrase 7"})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		requireError(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
	})
}

// TestCodesAreBoundToTheirPurpose: a code proves nothing once the
// interaction is for another event than the one it was sent for, whether the
// event is changed by PUT /api/interaction/event or by a PUT
// /api/interaction that answers the code; a code used for its own event
// still works through both.
func TestCodesAreBoundToTheirPurpose(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	mailTenant(t, f, "acme", mail, map[string]any{"signInAfterReset": true})
	tests := []struct {
		name, sentFor, usedFor string
		viaStart               bool // PUT /api/interaction with the code, else PUT event + PATCH identifiers
		ok                     bool
	}{
		{name: "Register code signs in", sentFor: "Register", usedFor: "SignIn"},
		{name: "Register code signs in via start", sentFor: "Register", usedFor: "SignIn", viaStart: true},
		{name: "ForgotPassword code signs in", sentFor: "ForgotPassword", usedFor: "SignIn"},
		{name: "SignIn code resets", sentFor: "SignIn", usedFor: "ForgotPassword"},
		{name: "SignIn code resets via start", sentFor: "SignIn", usedFor: "ForgotPassword", viaStart: true},
		{name: "SignIn code signs in via start", sentFor: "SignIn", usedFor: "SignIn", viaStart: true, ok: true},
		{name: "ForgotPassword code identifies its reset", sentFor: "ForgotPassword", usedFor: "ForgotPassword", ok: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One user per case: code sends are limited per recipient.
			email := "user" + string(rune('a'+i)) + "@acme.test"
			signUp(t, tenantBrowser(f, "acme"), "user"+string(rune('a'+i)), email, strongPassword)
			c := tenantBrowser(f, "acme")
			start(t, c, tt.sentFor)
			code := emailCode(t, c, mail, email)
			ident := map[string]any{"email": email, "verificationCode": code}
			var r *Response
			if tt.viaStart {
				r = c.Do(t, http.MethodPut, "/api/interaction", map[string]any{"event": tt.usedFor, "identifier": ident})
			} else {
				setEvent(t, c, tt.usedFor)
				r = identify(t, c, ident)
			}
			require.Equal(t, tt.usedFor, fullStateOf(t, c).Event)
			if tt.ok {
				require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
				require.True(t, fullStateOf(t, c).Identified)
				return
			}
			requireError(t, r, http.StatusBadRequest, "verification_code.not_found")
			require.False(t, fullStateOf(t, c).Identified)
			if tt.usedFor == "ForgotPassword" {
				require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": "a new passphrase 99"}).Status)
			}
			requireError(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
			require.Empty(t, c.Cookie(sessCookie))
		})
	}
}

// TestRegisterIdentifiesNobody: a Register interaction creates a user; a
// password does not identify an existing one in it.
func TestRegisterIdentifiesNobody(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "rhea", "", strongPassword)
	c := f.Demo()
	start(t, c, "Register")
	requireError(t, identify(t, c, map[string]any{"username": "rhea", "password": strongPassword}),
		http.StatusBadRequest, "session.not_supported_for_register")
	r := c.Do(t, http.MethodPut, "/api/interaction", map[string]any{"event": "Register",
		"identifier": map[string]any{"username": "rhea", "password": strongPassword}})
	requireError(t, r, http.StatusBadRequest, "session.not_supported_for_register")
	require.False(t, fullStateOf(t, c).Identified)
}
