package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sessionMethods are what the browser's login session says was proven.
func sessionMethods(t *testing.T, b *Browser) []string {
	t.Helper()
	var s struct {
		Methods []string `json:"methods"`
	}
	raw := Eval[string](b, `fetch('/api/session').then((r) => r.text())`)
	require.NoError(t, json.Unmarshal([]byte(raw), &s), raw)
	return s.Methods
}

// registerInBrowser fills the register page and submits it, without
// waiting for what follows.
func registerInBrowser(t *testing.T, b *Browser, username string) {
	t.Helper()
	b.Open("/register")
	b.WaitStep("register")
	b.Type("#username", username)
	b.Type("#new-password", strongPassword)
	b.Click("[data-step=register] button[type=submit]")
}

// bindTOTPInBrowser sets up an authenticator app from the page's secret
// (as a person would type the key shown) and returns the secret.
func bindTOTPInBrowser(t *testing.T, b *Browser) string {
	t.Helper()
	b.WaitStep("bind-totp")
	b.WaitFor(`document.querySelector('[data-secret]').textContent.length > 0 && !document.querySelector('[data-qr]').hidden`, "the secret")
	require.True(t, strings.HasPrefix(Eval[string](b, `document.querySelector('[data-qr]').src`), "data:image/png;base64,"))
	secret := strings.ReplaceAll(b.Text("[data-secret]"), " ", "")
	b.Type("#code", totpCode(t, secret, time.Now()))
	b.Click("[data-step=bind-totp] button[type=submit]")
	return secret
}

func TestHostedTOTPBindingAndSignIn(t *testing.T) {
	f := startFoyer(t, nil)
	patchSettings(t, f, "demo", map[string]any{"mfa": map[string]any{"policy": "prompt"}})
	b := newBrowser(t, f)

	// Sign-up under "prompt": the page offers a second factor, skippable.
	registerInBrowser(t, b, "otto")
	b.WaitStep("bind")
	require.False(t, Eval[bool](b, `document.querySelector('[data-skip]').hidden`), "prompt lets the person skip")
	b.Click("#bind-totp")
	b.Click("[data-step=bind] button[type=submit]")
	secret := bindTOTPInBrowser(t, b)
	require.Equal(t, "otto", b.WaitSignedIn())
	require.Contains(t, sessionMethods(t, b), "totp")
	signOutInBrowser(t, b)

	// Signing in asks for the app's code (the next one: each is used once).
	passwordSignIn(t, b, "otto", strongPassword)
	b.WaitStep("mfa-totp")
	require.True(t, Eval[bool](b, `document.querySelector('[data-other-way]').hidden`), "one factor: no other way")
	b.Type("#code", "123456")
	b.Click("[data-step=mfa-totp] button[type=submit]")
	b.WaitFor(`document.querySelector('#code-error:not([hidden])')`, "the code's message")
	b.Type("#code", totpCode(t, secret, time.Now().Add(30*time.Second)))
	b.Click("[data-step=mfa-totp] button[type=submit]")
	require.Equal(t, "otto", b.WaitSignedIn())
	require.Equal(t, []string{"password", "totp"}, sessionMethods(t, b))
}

func TestHostedPasskeyAsSecondFactor(t *testing.T) {
	f := startFoyer(t, nil)
	patchSettings(t, f, "demo", map[string]any{"mfa": map[string]any{"policy": "mandatory"}})
	b := newBrowser(t, f, securityKey()) // a USB key: no resident keys, no user verification

	registerInBrowser(t, b, "pete")
	b.WaitStep("bind")
	require.True(t, Eval[bool](b, `document.querySelector('[data-skip]').hidden`), "mandatory: no skipping")
	b.Click("#bind-webauthn")
	b.Click("[data-step=bind] button[type=submit]")
	b.WaitStep("bind-passkey")
	b.Click("[data-step=bind-passkey] button[type=submit]")
	require.Equal(t, "pete", b.WaitSignedIn())
	creds := b.Credentials()
	require.Len(t, creds, 1)
	require.False(t, creds[0].IsResidentCredential)
	require.Equal(t, "localhost", creds[0].RpID)
	signOutInBrowser(t, b)

	passwordSignIn(t, b, "pete", strongPassword)
	b.WaitStep("mfa-passkey")
	b.Click("[data-step=mfa-passkey] button[type=submit]")
	require.Equal(t, "pete", b.WaitSignedIn())
	require.Equal(t, []string{"password", "webauthn"}, sessionMethods(t, b))
	require.Len(t, b.Credentials(), 1, "no second passkey offered: the person has one")
}

func TestHostedBackupCodeSignIn(t *testing.T) {
	f := startFoyer(t, nil)
	patchSettings(t, f, "demo", map[string]any{"mfa": map[string]any{"policy": "mandatory", "backupCodes": true}})
	b := newBrowser(t, f)

	registerInBrowser(t, b, "quinn")
	b.WaitStep("bind")
	b.Click("#bind-totp")
	b.Click("[data-step=bind] button[type=submit]")
	bindTOTPInBrowser(t, b)
	// A first factor asks for backup codes, shown once, to copy or download.
	b.WaitStep("backup-codes")
	b.WaitFor(`document.querySelectorAll('[data-codes] li').length === 10`, "ten codes")
	codes := Eval[[]string](b, `[...document.querySelectorAll('[data-codes] li')].map((li) => li.textContent)`)
	require.True(t, strings.HasPrefix(Eval[string](b, `document.querySelector('[data-download]').href`), "blob:"))
	b.Click("[data-step=backup-codes] button[type=submit]")
	b.WaitFor(`document.querySelector('#saved-error:not([hidden])')`, "the saved-codes check")
	b.Click("#saved")
	b.Click("[data-step=backup-codes] button[type=submit]")
	require.Equal(t, "quinn", b.WaitSignedIn())
	signOutInBrowser(t, b)

	// Two factors: the person chooses.
	passwordSignIn(t, b, "quinn", strongPassword)
	b.WaitStep("mfa")
	require.Equal(t, []string{"Totp", "BackupCode"}, Eval[[]string](b, `[...document.querySelectorAll('[data-step=mfa] [data-factor]:not([hidden])')].map((e) => e.dataset.factor)`))
	b.Screenshot("mfa-choice-light")
	b.DarkMode(true)
	b.Screenshot("mfa-choice-dark")
	b.DarkMode(false)
	b.Click("#mfa-backup")
	b.Click("[data-step=mfa] button[type=submit]")
	b.WaitStep("mfa-backup-code")
	require.False(t, Eval[bool](b, `document.querySelector('[data-other-way]').hidden`))
	b.Type("#backup-code", codes[3])
	b.Click("[data-step=mfa-backup-code] button[type=submit]")
	require.Equal(t, "quinn", b.WaitSignedIn())
	require.Equal(t, []string{"password", "backupCode"}, sessionMethods(t, b))
	signOutInBrowser(t, b)

	// A used code is refused, with a message.
	passwordSignIn(t, b, "quinn", strongPassword)
	b.WaitStep("mfa")
	b.Click("#mfa-backup")
	b.Click("[data-step=mfa] button[type=submit]")
	b.WaitStep("mfa-backup-code")
	b.Type("#backup-code", codes[3])
	b.Click("[data-step=mfa-backup-code] button[type=submit]")
	b.WaitFor(`document.querySelector('#backup-code-error:not([hidden])')`, "the code's message")
	require.Equal(t, "This backup code is not right, or has been used.", b.Text("#backup-code-error"))
}
