package tests

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// mailTenant creates a tenant whose codes go to a real SMTP listener, with
// extra settings merged in, and returns a browser on it.
func mailTenant(t *testing.T, f *Foyer, slug string, mail *smtptest.Server, extra map[string]any) *Client {
	t.Helper()
	settings := map[string]any{
		"connectors": map[string]any{"email": map[string]any{"type": "smtp", "smtp": map[string]any{
			"host": mail.Host, "port": mail.Port, "from": "noreply@" + slug + ".test", "tls": "none",
		}}},
	}
	for k, v := range extra {
		settings[k] = v
	}
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": slug, "settings": settings})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	return tenantBrowser(f, slug)
}

// emailCode asks for a code for email and reads it from the mailbox.
func emailCode(t *testing.T, c *Client, mail *smtptest.Server, email string) string {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": email})
	require.Equal(t, http.StatusNoContent, r.Status, "send code: %s", r.Body)
	m := mail.Next(t)
	require.Equal(t, []string{email}, m.To)
	code := sixDigits.FindString(m.TextBody)
	require.NotEmpty(t, code, "no code in %q", m.TextBody)
	require.Contains(t, m.HTMLBody, code)
	return code
}

func TestEmailCodesSignUpSignInAndReset(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, map[string]any{"signUp": map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true}})
	const email = "zoe@acme.test"
	var codes []string

	// Sign up with a verified email: an unproven one is refused.
	start(t, c, "Register")
	requireError(t, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"email": email}),
		http.StatusNotFound, "session.verification_session_not_found")
	code := emailCode(t, c, mail, email)
	codes = append(codes, code)
	r := identify(t, c, map[string]any{"email": email, "verificationCode": code})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": strongPassword}).Status)
	submitOK(t, c)
	old := c // stays signed in: the reset must end this session

	// Sign in by email code.
	b := tenantBrowser(f, "acme")
	start(t, b, "SignIn")
	code = emailCode(t, b, mail, email)
	codes = append(codes, code)
	requireError(t, identify(t, b, map[string]any{"email": email, "verificationCode": "000000"}), http.StatusBadRequest, "verification_code.code_mismatch")
	require.Equal(t, http.StatusNoContent, identify(t, b, map[string]any{"email": email, "verificationCode": code}).Status)
	requireError(t, identify(t, b, map[string]any{"email": email, "verificationCode": code}), http.StatusBadRequest, "verification_code.not_found")
	submitOK(t, b)

	// Reset the password by email code: both sessions end; nobody is signed in.
	const newPassword = "a brand new passphrase 42"
	reset := tenantBrowser(f, "acme")
	start(t, reset, "ForgotPassword")
	requireError(t, identify(t, reset, map[string]any{"email": email, "password": strongPassword}), http.StatusBadRequest, "session.not_supported_for_forgot_password")
	code = emailCode(t, reset, mail, email)
	codes = append(codes, code)
	require.Equal(t, http.StatusNoContent, identify(t, reset, map[string]any{"email": email, "verificationCode": code}).Status)
	requireError(t, reset.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusUnprocessableEntity, "user.new_password_required_in_profile")
	require.Equal(t, http.StatusNoContent, reset.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": newPassword}).Status)
	r = reset.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Empty(t, reset.Cookie(sessCookie), "a reset signs nobody in")
	for _, cl := range []*Client{old, b} {
		requireError(t, cl.Do(t, http.MethodGet, "/api/session", nil), http.StatusUnauthorized, "session.unauthorized")
	}
	require.Empty(t, f.scanKeys(t, "foyer:sess:*"), "every login session of the user is gone")

	requireError(t, signIn(t, c, "email", email, strongPassword), http.StatusUnprocessableEntity, "session.invalid_credentials")
	require.Equal(t, http.StatusNoContent, signIn(t, c, "email", email, newPassword).Status)
	submitOK(t, c)
	requireNoSecretInRedis(t, f, append(codes, strongPassword, newPassword)...)
}

func TestCodeSendAndTryLimits(t *testing.T) {
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, nil)
	signUp(t, tenantBrowser(f, "acme"), "known", "known@acme.test", strongPassword)

	// Known and unknown recipients get the same answer.
	start(t, c, "SignIn")
	known := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "known@acme.test"})
	unknown := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "nobody@acme.test"})
	require.Equal(t, known.Status, unknown.Status)
	require.Equal(t, known.Body, unknown.Body)
	require.Len(t, mail.Messages(), 2)

	// A second send to one recipient within a minute is refused.
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "known@acme.test"})
	requireError(t, r, http.StatusTooManyRequests, "request.message_rate_limited")
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.True(t, retry > 0 && retry <= 60, "Retry-After %d", retry)

	// Five wrong tries, then even the right code is refused.
	code := sixDigits.FindString(mail.Messages()[1].TextBody)
	for i := range 5 {
		wrong := strconv.Itoa(100000 + i)
		if wrong == code {
			wrong = "999999"
		}
		requireError(t, identify(t, c, map[string]any{"email": "nobody@acme.test", "verificationCode": wrong}), http.StatusBadRequest, "verification_code.code_mismatch")
	}
	requireError(t, identify(t, c, map[string]any{"email": "nobody@acme.test", "verificationCode": code}), http.StatusBadRequest, "verification_code.exceed_max_try")

	// A failed delivery is a 502, and counts against no limit.
	mailTenant(t, f, "broken", &smtptest.Server{Host: "127.0.0.1", Port: freePort(t)}, nil) // nothing listens
	bc := tenantBrowser(f, "broken")
	start(t, bc, "SignIn")
	for range 2 {
		r = bc.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "known@acme.test"})
		requireError(t, r, http.StatusBadGateway, "connector.delivery_failed")
	}

	// Connector secrets are write-only.
	r = f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"), map[string]any{"settings": map[string]any{
		"connectors": map[string]any{
			"email": map[string]any{"smtp": map[string]any{"username": "mailer", "password": "smtp-password-not-to-be-shown"}},
			"sms": map[string]any{"type": "webhook", "webhook": map[string]any{
				"url": "https://sms.acme.test/hook", "secret": "webhook-secret-not-to-be-shown-0123456789"}},
		},
	}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), "not-to-be-shown")
	require.NotContains(t, string(f.Admin().Do(t, http.MethodGet, "/api/admin/tenants", nil).Body), "not-to-be-shown")
	r = f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"), map[string]any{"settings": map[string]any{
		"connectors": map[string]any{"sms": map[string]any{"webhook": map[string]any{"url": "http://sms.acme.test/hook"}}},
	}})
	e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "settings.connectors.sms.webhook", e.Fields(t)[0].Field)

	// A tenant without a connector says so.
	other := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "plain", "settings": map[string]any{"connectors": map[string]any{"sms": map[string]any{"type": "none"}}}})
	require.Equal(t, http.StatusCreated, other.Status)
	p := tenantBrowser(f, "plain")
	start(t, p, "SignIn")
	r = p.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"phone": "+15551234567"})
	// Dev mode (the suite runs FOYER_DEV=1) falls back to logging the code.
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	requireError(t, p.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"phone": "12"}), http.StatusBadRequest, "guard.invalid_input")
}

// totpCode is what an authenticator app shows for secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return code
}

// bindTOTP asks for a secret and binds it with the current code.
func bindTOTP(t *testing.T, c *Client) string {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/totp", map[string]any{})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out struct {
		Secret       string `json:"secret"`
		SecretQRCode string `json:"secretQrCode"`
	}
	r.JSON(t, &out)
	require.Regexp(t, `^data:image/png;base64,`, out.SecretQRCode)
	wrong := totpCode(t, out.Secret, time.Now().Add(-90*time.Second))
	r = c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", map[string]any{"type": "Totp", "code": wrong})
	requireError(t, r, http.StatusBadRequest, "session.mfa.invalid_totp_code")
	r = c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", map[string]any{"type": "Totp", "code": totpCode(t, out.Secret, time.Now())})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	return out.Secret
}

func TestTOTPSignIn(t *testing.T) {
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", nil) // MFA policy "prompt"
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "yves", "password": strongPassword}).Status)
	e := requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusUnprocessableEntity, "user.missing_mfa")
	require.JSONEq(t, `{"availableFactors":["Totp","WebAuthn"],"skippable":true}`, string(e.Details))
	secret := bindTOTP(t, c)
	submitOK(t, c)
	signOut(t, c)

	// "prompt" lets a user without factors skip binding one.
	other := tenantBrowser(f, "acme")
	start(t, other, "Register")
	require.Equal(t, http.StatusNoContent, other.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "walt", "password": strongPassword}).Status)
	requireError(t, other.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusUnprocessableEntity, "user.missing_mfa")
	require.Equal(t, http.StatusNoContent, other.Do(t, http.MethodPut, "/api/interaction/mfa-skipped", nil).Status)
	submitOK(t, other)

	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "yves", strongPassword).Status)
	e = requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusForbidden, "session.mfa.require_mfa_verification")
	require.JSONEq(t, `{"availableFactors":["Totp"],"skippable":false}`, string(e.Details))
	old := totpCode(t, secret, time.Now().Add(-60*time.Second))
	requireError(t, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": old}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	// The next step's code: later than the one used to bind, within drift.
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": code}).Status)
	submitOK(t, c)
	signOut(t, c)

	// The same code again, in a new sign-in: refused.
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "yves", strongPassword).Status)
	requireError(t, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": code}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	requireNoSecretInRedis(t, f, secret, strongPassword)
}

func TestBackupCodes(t *testing.T) {
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", nil)
	patchSettings(t, f, "acme", map[string]any{"mfa": map[string]any{"backupCodes": true}})
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "xena", "password": strongPassword}).Status)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/verification/backup-codes", map[string]any{}), http.StatusBadRequest, "session.mfa.backup_code_can_not_be_alone")
	secret := bindTOTP(t, c)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusBadRequest, "session.mfa.backup_code_required")
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/backup-codes", map[string]any{})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var out struct {
		Codes []string `json:"codes"`
	}
	r.JSON(t, &out)
	require.Len(t, out.Codes, 10)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", map[string]any{"type": "BackupCode"}).Status)
	submitOK(t, c)
	signOut(t, c)

	useCode := func(cl *Client, code string) *Response {
		require.Equal(t, http.StatusNoContent, signIn(t, cl, "username", "xena", strongPassword).Status)
		return cl.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "BackupCode", "code": code})
	}
	r = useCode(c, out.Codes[0])
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"remaining":9}`, string(r.Body))
	submitOK(t, c)
	signOut(t, c)
	requireError(t, useCode(c, out.Codes[0]), http.StatusBadRequest, "session.mfa.invalid_backup_code")

	// Two sign-ins use one code at once: exactly one succeeds.
	a, b := tenantBrowser(f, "acme"), tenantBrowser(f, "acme")
	for _, cl := range []*Client{a, b} {
		require.Equal(t, http.StatusNoContent, signIn(t, cl, "username", "xena", strongPassword).Status)
	}
	var wg sync.WaitGroup
	results := make([]*Response, 2)
	for i, cl := range []*Client{a, b} {
		wg.Go(func() {
			results[i], _ = cl.TryDo(http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "BackupCode", "code": out.Codes[1]})
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		require.NotNil(t, r)
		if r.Status == http.StatusOK {
			ok++
			require.JSONEq(t, `{"remaining":8}`, string(r.Body))
		} else {
			requireError(t, r, http.StatusBadRequest, "session.mfa.invalid_backup_code")
		}
	}
	require.Equal(t, 1, ok, "one backup code, one use")
	requireNoSecretInRedis(t, f, append(out.Codes, secret, strongPassword)...)
}
