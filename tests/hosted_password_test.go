package tests

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// signUpInBrowser creates an account with a username and password on the
// register page, and waits for the redirect.
func signUpInBrowser(t *testing.T, b *Browser, username, password string) {
	t.Helper()
	b.Open("/register")
	b.WaitStep("register")
	b.Type("#username", username)
	b.Type("#new-password", password)
	b.Click("[data-step=register] button[type=submit]")
	require.Equal(t, username, b.WaitSignedIn())
}

// signOutInBrowser ends the browser's login session.
func signOutInBrowser(t *testing.T, b *Browser) {
	t.Helper()
	require.Equal(t, 204, Eval[int](b, `fetch('/api/session', {method: 'DELETE', headers: {'Content-Type': 'application/json'}}).then((r) => r.status)`))
}

// passwordSignIn fills the sign-in form.
func passwordSignIn(t *testing.T, b *Browser, identifier, password string) {
	t.Helper()
	b.Open("/sign-in")
	b.WaitStep("sign-in")
	b.Type("#identifier", identifier)
	b.Type("#password", password)
	b.Click("#sign-in-form button[type=submit]")
}

func TestHostedSignUpThenSignIn(t *testing.T) {
	f := startFoyer(t, nil)
	b := newBrowser(t, f)
	signUpInBrowser(t, b, "ada", strongPassword)
	signOutInBrowser(t, b)
	passwordSignIn(t, b, "ada", strongPassword)
	require.Equal(t, "ada", b.WaitSignedIn())
}
