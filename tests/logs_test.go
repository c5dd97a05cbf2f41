package tests

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// accessLine is one access-log line as FOYER_LOG_FORMAT=json writes it.
type accessLine struct {
	Msg        string  `json:"msg"`
	Level      string  `json:"level"`
	RequestID  string  `json:"request_id"`
	Method     string  `json:"method"`
	Route      string  `json:"route"`
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	Tenant     string  `json:"tenant"`
	IP         string  `json:"ip"`
	Code       string  `json:"code"`
}

// accessLines parses every line of the log as JSON (a line that is not is
// a failure) and returns the access lines.
func accessLines(t *testing.T, log string) []accessLine {
	t.Helper()
	var out []accessLine
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l accessLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "log line is not JSON: %s", sc.Text())
		if l.Msg == "request" {
			out = append(out, l)
		}
	}
	return out
}

// TestAccessLogsHoldNoSecrets runs every kind of flow Foyer has (sign-up
// with an email code and a password, TOTP and backup-code binding, sign-in
// with a password and each second factor, a wrong password, a password
// reset by email code, admin calls) with JSON logs at debug level, then
// greps the whole log for every secret the flows used: passwords, codes,
// the TOTP secret, backup codes, cookie values and the admin key. Each
// request has one access line naming its route template, status and
// request id, which the response echoes in X-Request-Id.
func TestAccessLogsHoldNoSecrets(t *testing.T) {
	f := startFoyer(t, map[string]string{"FOYER_LOG_FORMAT": "json", "FOYER_LOG_LEVEL": "debug"})
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "acme", mail, map[string]any{
		"signUp": map[string]any{"identifiers": []string{"email"}, "password": true, "verify": true},
		"mfa":    map[string]any{"policy": "prompt", "backupCodes": true},
	})
	const email = "lou@acme.test"
	const newPassword = "another Strong passphrase 7"
	secrets := []string{strongPassword, newPassword, f.AdminKey}
	keep := func(vals ...string) {
		for _, v := range vals {
			require.NotEmpty(t, v)
			secrets = append(secrets, v)
		}
	}

	// Sign up: email code, password, TOTP and backup codes.
	keep(start(t, c, "Register"))
	code := emailCode(t, c, mail, email)
	keep(code)
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"email": email, "verificationCode": code}).Status)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": strongPassword}).Status)
	totpSecret := bindTOTP(t, c)
	keep(totpSecret)
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/backup-codes", map[string]any{})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var backup struct {
		Codes []string `json:"codes"`
	}
	r.JSON(t, &backup)
	keep(backup.Codes...)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", map[string]any{"type": "BackupCode"}).Status)
	keep(submitOK(t, c))
	signOut(t, c)

	// Sign in with a password and TOTP, then with a backup code; one wrong password.
	requireError(t, signIn(t, c, "email", email, "not the password at all 1"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	secrets = append(secrets, "not the password at all 1")
	require.Equal(t, http.StatusNoContent, signIn(t, c, "email", email, strongPassword).Status)
	keep(c.Cookie(ixCookie))
	totp := totpCode(t, totpSecret, time.Now().Add(30*time.Second))
	keep(totp)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "Totp", "code": totp}).Status)
	keep(submitOK(t, c))
	signOut(t, c)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "email", email, strongPassword).Status)
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodPut, "/api/interaction/mfa", map[string]any{"type": "BackupCode", "code": backup.Codes[0]}).Status)
	keep(submitOK(t, c))

	// Reset the password by email code.
	reset := tenantBrowser(f, "acme")
	keep(start(t, reset, "ForgotPassword"))
	code = emailCode(t, reset, mail, email)
	keep(code)
	require.Equal(t, http.StatusNoContent, identify(t, reset, map[string]any{"email": email, "verificationCode": code}).Status)
	require.Equal(t, http.StatusNoContent, reset.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"password": newPassword}).Status)
	last := reset.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusNoContent, last.Status, "%s", last.Body)

	log := f.Log()
	for _, s := range secrets {
		require.NotContains(t, log, s, "a secret reached the log")
	}
	lines := accessLines(t, log)
	require.NotEmpty(t, lines)
	routes := map[string]bool{}
	ids := map[string]bool{}
	for _, l := range lines {
		require.NotEmpty(t, l.RequestID)
		require.NotEmpty(t, l.Route)
		require.NotContains(t, l.Route, "acme", "a route is a template, never a raw path or host")
		require.GreaterOrEqual(t, l.DurationMS, 0.0)
		require.Equal(t, "127.0.0.1", l.IP)
		routes[l.Method+" "+l.Route] = true
		ids[l.RequestID] = true
		if l.Status >= 400 {
			require.NotEmpty(t, l.Code, "a failed request logs its error code: %+v", l)
		}
	}
	for _, want := range []string{"PUT /api/interaction", "PATCH /api/interaction/identifiers", "POST /api/interaction/submit",
		"PUT /api/interaction/mfa", "POST /api/admin/tenants", "DELETE /api/session"} {
		require.True(t, routes[want], "no access line for %s in %v", want, routes)
	}
	var failed accessLine
	for _, l := range lines {
		if l.Code == "session.invalid_credentials" {
			failed = l
		}
	}
	require.Equal(t, http.StatusUnprocessableEntity, failed.Status)
	require.NotEmpty(t, failed.Tenant)
	// The response's X-Request-Id is the id logged for it.
	rid := last.Header.Get("X-Request-Id")
	require.NotEmpty(t, rid)
	require.True(t, ids[rid], "X-Request-Id %s not in the log", rid)
}
