package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
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

func TestHostedWrongPasswordShowsTheMessage(t *testing.T) {
	f := startFoyer(t, nil)
	b := newBrowser(t, f)
	signUpInBrowser(t, b, "bea", strongPassword)
	signOutInBrowser(t, b)

	passwordSignIn(t, b, "bea", "not-the-password-42")
	b.WaitFor(`document.querySelector('.error-summary:not([hidden])')`, "the error summary")
	const msg = "The username, email, phone number or password is not right."
	require.Equal(t, []string{msg}, b.Errors())
	// Announced (role=alert, focused), and tied to the field it is about.
	require.True(t, Eval[bool](b, `document.activeElement === document.querySelector('.error-summary')`))
	require.Equal(t, "alert", Eval[string](b, `document.querySelector('.error-summary').getAttribute('role')`))
	require.Equal(t, msg, b.Text("#password-error"))
	require.Equal(t, "true", Eval[string](b, `document.querySelector('#password').getAttribute('aria-invalid')`))
	require.Contains(t, Eval[string](b, `document.querySelector('#password').getAttribute('aria-describedby')`), "password-error")
	require.Equal(t, "/sign-in", Eval[string](b, `location.pathname`))

	// The summary links to the field; the right password then signs in.
	b.Click(".error-summary a")
	require.True(t, Eval[bool](b, `document.activeElement.id === 'password'`))
	b.Type("#password", strongPassword)
	b.Click("#sign-in-form button[type=submit]")
	require.Equal(t, "bea", b.WaitSignedIn())
}

// TestHostedSignInNeedsOnlyAKeyboard signs in without a pointer: Tab to
// the field, type, Tab, type, Enter. Focus is visible on the way.
func TestHostedSignInNeedsOnlyAKeyboard(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "kira", "", strongPassword)
	b := newBrowser(t, f)
	b.Open("/sign-in")
	b.WaitStep("sign-in")
	var visited []string
	for range 6 {
		b.Do(chromedp.KeyEvent(kb.Tab))
		id := Eval[string](b, `document.activeElement.id || document.activeElement.className`)
		visited = append(visited, id)
		if id == "identifier" {
			break
		}
	}
	require.Equal(t, "identifier", visited[len(visited)-1], "Tab order: %v", visited)
	require.Equal(t, "skip-link", visited[0], "the first Tab reaches the skip link")
	require.NotEqual(t, "none", Eval[string](b, `getComputedStyle(document.activeElement).outlineStyle`), "focus is visible")
	b.Do(chromedp.KeyEvent("kira"), chromedp.KeyEvent(kb.Tab))
	require.Equal(t, "password", Eval[string](b, `document.activeElement.id`))
	b.Do(chromedp.KeyEvent(strongPassword), chromedp.KeyEvent(kb.Enter))
	require.Equal(t, "kira", b.WaitSignedIn())
}

// TestHostedGermanPage: ui_locales (from the authorization request) picks
// the language, else Accept-Language; texts and error messages follow.
func TestHostedGermanPage(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "jonas", "", strongPassword)

	b := newBrowser(t, f)
	b.Open("/sign-in?ui_locales=de-CH%20en")
	b.WaitStep("sign-in")
	require.Equal(t, "de", Eval[string](b, `document.documentElement.lang`))
	require.Equal(t, "Bei Foyer demo anmelden", b.Text("h1"))
	require.Equal(t, "Passwort", b.Text("label[for=password]"))
	b.Type("#identifier", "jonas")
	b.Type("#password", "falsches-passwort-1")
	b.Click("#sign-in-form button[type=submit]")
	b.WaitFor(`document.querySelector('.error-summary:not([hidden])')`, "the error summary")
	require.Equal(t, []string{"Benutzername, E-Mail-Adresse, Telefonnummer oder Passwort stimmen nicht."}, b.Errors())
	require.Equal(t, "Es gibt ein Problem", b.Text(".error-summary-title"))
	// The steps keep the language.
	b.Click("[data-go=register]")
	b.WaitStep("register")
	require.Equal(t, "Ihr Konto bei Foyer demo erstellen", b.Text("h1"))
	require.Contains(t, Eval[string](b, `location.search`), "ui_locales=de")

	de := newBrowser(t, f, withAcceptLanguage("de-DE,de;q=0.9,en;q=0.5"))
	de.Open("/sign-in")
	require.Equal(t, "de", Eval[string](de, `document.documentElement.lang`))
	de.Open("/sign-in?ui_locales=en")
	require.Equal(t, "en", Eval[string](de, `document.documentElement.lang`), "ui_locales wins over Accept-Language")
	require.Equal(t, "Sign in to Foyer demo", de.Text("h1"))
}

// TestHostedExpiredInteractionRestarts: when the interaction is gone
// (expired), the page starts a new one and says so, and signing in works.
func TestHostedExpiredInteractionRestarts(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "lena", "", strongPassword)
	b := newBrowser(t, f)
	b.Open("/sign-in")
	b.WaitStep("sign-in")
	// The page asks for passkey-autofill options as it loads; expire the
	// interaction only once they are stored, or that request, not the
	// submit, finds it gone and restarts the page before anything is typed.
	key := waitInteraction(t, f)
	require.Eventually(t, func() bool {
		doc, err := f.Redis.HGet(t.Context(), key, "doc").Result()
		return err == nil && strings.Contains(doc, `"ceremony":`)
	}, 10*time.Second, 20*time.Millisecond, "the autofill options were never stored")
	require.NoError(t, f.Redis.Del(t.Context(), key).Err())

	b.Type("#identifier", "lena")
	b.Type("#password", strongPassword)
	b.Click("#sign-in-form button[type=submit]")
	b.WaitFor(`document.querySelector('.notice:not([hidden])')`, "the restart notice")
	require.Equal(t, "Your sign-in took too long, so we started again.", b.Text(".notice"))
	require.Empty(t, b.Errors())
	b.WaitFor(`document.querySelector('#identifier').value === ''`, "a fresh form")

	b.Type("#identifier", "lena")
	b.Type("#password", strongPassword)
	b.Click("#sign-in-form button[type=submit]")
	require.Equal(t, "lena", b.WaitSignedIn())
}

// waitInteraction waits for the one interaction the page starts, and
// returns its Redis key.
func waitInteraction(t *testing.T, f *Foyer) string {
	t.Helper()
	require.Eventually(t, func() bool { return len(f.scanKeys(t, "foyer:ix:*")) == 1 }, 10*time.Second, 20*time.Millisecond)
	return f.scanKeys(t, "foyer:ix:*")[0]
}
