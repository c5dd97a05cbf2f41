package tests

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// mailDemo sends the demo tenant's codes to a real SMTP listener.
func mailDemo(t *testing.T, f *Foyer) *smtptest.Server {
	t.Helper()
	mail := smtptest.Start(t)
	patchSettings(t, f, "demo", map[string]any{"connectors": map[string]any{"email": map[string]any{"type": "smtp",
		"smtp": map[string]any{"host": mail.Host, "port": mail.Port, "from": "noreply@demo.test", "tls": "none"}}}})
	return mail
}

// mailedCode reads the next mail to email and returns the code in it.
func mailedCode(t *testing.T, mail *smtptest.Server, email string) string {
	t.Helper()
	m := mail.Next(t)
	require.Equal(t, []string{email}, m.To)
	code := sixDigits.FindString(m.TextBody)
	require.NotEmpty(t, code, "no code in %q", m.TextBody)
	return code
}

func TestHostedEmailCodeSignIn(t *testing.T) {
	f := startFoyer(t, nil)
	mail := mailDemo(t, f)
	signUp(t, f.Demo(), "mona", "mona@example.com", strongPassword)

	b := newBrowser(t, f)
	b.Open("/sign-in")
	b.Click("[data-go=code]")
	b.WaitStep("code")
	require.Equal(t, "/sign-in/code", Eval[string](b, `location.pathname`))
	require.Equal(t, "email", Eval[string](b, `document.querySelector('#email').autocomplete`))
	b.Type("#email", "mona@example.com")
	b.Click("[data-step=code] button[type=submit]")
	b.WaitStep("verify-code")
	require.Contains(t, b.Text("[data-sent-to]"), "mona@example.com")
	require.Equal(t, "one-time-code", Eval[string](b, `document.querySelector('#code').autocomplete`))
	code := mailedCode(t, mail, "mona@example.com")

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.Type("#code", wrong)
	b.Click("[data-step=verify-code] button[type=submit]")
	b.WaitFor(`document.querySelector('.error-summary:not([hidden])')`, "the error summary")
	require.Equal(t, []string{"The code is not right. Check it and try again."}, b.Errors())

	b.Type("#code", code)
	b.Click("[data-step=verify-code] button[type=submit]")
	require.Equal(t, "mona", b.WaitSignedIn())
}

func TestHostedForgotPassword(t *testing.T) {
	f := startFoyer(t, nil)
	mail := mailDemo(t, f)
	signUp(t, f.Demo(), "nils", "nils@example.com", strongPassword)

	b := newBrowser(t, f)
	b.Open("/sign-in")
	b.Click("[data-go=forgot]")
	b.WaitStep("forgot")
	require.Equal(t, "/forgot-password", Eval[string](b, `location.pathname`))
	b.Type("#email", "nils@example.com")
	b.Click("[data-step=forgot] button[type=submit]")
	b.WaitStep("verify-code")
	b.Type("#code", mailedCode(t, mail, "nils@example.com"))
	b.Click("[data-step=verify-code] button[type=submit]")
	b.WaitStep("new-password")
	require.Equal(t, "new-password", Eval[string](b, `document.querySelector('#new-password').autocomplete`))

	// The API's password rules come back as the field's message.
	b.Type("#new-password", "short")
	b.Click("[data-step=new-password] button[type=submit]")
	b.WaitFor(`document.querySelector('#new-password-error:not([hidden])')`, "the password's message")
	require.Equal(t, "Your password must be at least 8 characters long", b.Text("#new-password-error"))
	b.Type("#new-password", "password123")
	b.Click("[data-step=new-password] button[type=submit]")
	b.WaitFor(`document.querySelector('#new-password-error').textContent.includes('easy to guess')`, "the strength message")

	const fresh = "copper-Lantern-meadow-58"
	b.Type("#new-password", fresh)
	b.Click("[data-step=new-password] button[type=submit]")
	b.WaitStep("reset-done")
	b.Click("[data-step=reset-done] a")
	b.WaitStep("sign-in")
	b.Type("#identifier", "nils@example.com")
	b.Type("#password", fresh)
	b.Click("#sign-in-form button[type=submit]")
	require.Equal(t, "nils", b.WaitSignedIn())
}
