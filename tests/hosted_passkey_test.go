package tests

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// Test instrumentation, run before the page's scripts.
const (
	// noAutofill is a browser without passkey autofill.
	noAutofill = `PublicKeyCredential.isConditionalMediationAvailable = async () => false`
	// noConditionalCreate is a browser that cannot create passkeys without
	// a dialog (Debian's Chromium says it can, but its virtual
	// authenticator never completes one).
	noConditionalCreate = `{
  const caps = PublicKeyCredential.getClientCapabilities.bind(PublicKeyCredential)
  PublicKeyCredential.getClientCapabilities = async () => ({ ...(await caps()), conditionalCreate: false })
}`
	// ceremonyLog records every WebAuthn call and its outcome, and every
	// step URL, in sessionStorage (it survives the redirect after sign-in).
	ceremonyLog = `{
  const log = (e) => {
    const l = JSON.parse(sessionStorage.getItem('ceremonies') || '[]')
    l.push({ ...e, at: performance.timeOrigin + performance.now() })
    sessionStorage.setItem('ceremonies', JSON.stringify(l))
  }
  for (const kind of ['create', 'get']) {
    const orig = navigator.credentials[kind].bind(navigator.credentials)
    navigator.credentials[kind] = (opts) => {
      const e = { kind, mediation: opts.mediation || 'modal',
        uv: opts.publicKey?.authenticatorSelection?.userVerification ?? opts.publicKey?.userVerification }
      log({ ...e, ev: 'start' })
      opts.signal?.addEventListener('abort', () => log({ ...e, ev: 'abort' }))
      return orig(opts).then((c) => { log({ ...e, ev: 'resolved' }); return c }, (err) => { log({ ...e, ev: 'rejected', name: err.name }); throw err })
    }
  }
  const push = history.pushState.bind(history)
  history.pushState = (s, t, url) => { log({ ev: 'step', url: String(url) }); return push(s, t, url) }
}`
)

type ceremonyEvent struct {
	Kind, Mediation, UV, Ev, Name, URL string
	At                                 float64
}

func ceremonies(t *testing.T, b *Browser) []ceremonyEvent {
	t.Helper()
	var out []ceremonyEvent
	require.NoError(t, json.Unmarshal([]byte(Eval[string](b, `sessionStorage.getItem('ceremonies') || '[]'`)), &out))
	return out
}

// passkeySettings let a sign-up bind a passkey as its only credential, as a
// discoverable credential.
var passkeySettings = map[string]any{"passkey": map[string]any{"passwordless": true, "residentKey": "required"}}

// passkeySignUp creates an account with a passkey and no password.
func passkeySignUp(t *testing.T, b *Browser, username string) {
	t.Helper()
	b.Open("/register")
	b.WaitStep("register")
	b.Type("#username", username)
	b.Click("[data-step=register] [data-passkey]")
	require.Equal(t, username, b.WaitSignedIn())
}

func TestHostedPasskeyOnlySignIn(t *testing.T) {
	f := startFoyer(t, nil)
	patchSettings(t, f, "demo", passkeySettings)
	b := newBrowser(t, f, passkeyDevice(), withScript(noAutofill))

	passkeySignUp(t, b, "rita")
	require.Equal(t, []string{"webauthn"}, sessionMethods(t, b))
	creds := b.Credentials()
	require.Len(t, creds, 1)
	require.True(t, creds[0].IsResidentCredential)
	require.Equal(t, "rita", creds[0].UserName)
	signOutInBrowser(t, b)

	// No identifier typed: the discoverable credential names the user.
	b.Open("/sign-in")
	b.WaitStep("sign-in")
	b.Click("[data-step=sign-in] [data-passkey]")
	require.Equal(t, "rita", b.WaitSignedIn())
	require.Equal(t, []string{"passkey"}, sessionMethods(t, b))
}

func TestHostedPasskeyAutofill(t *testing.T) {
	f := startFoyer(t, nil)
	patchSettings(t, f, "demo", passkeySettings)
	b := newBrowser(t, f, passkeyDevice(), withScript(ceremonyLog))
	passkeySignUp(t, b, "sami")
	signOutInBrowser(t, b)

	// The username field offers passkeys (autocomplete ends in "webauthn"),
	// and the page waits for one with a conditional get. The virtual
	// authenticator picks at once, as a person picking the suggestion.
	b.Open("/register")
	require.Equal(t, "username webauthn",
		Eval[string](b, `document.getElementById('step-sign-in').content.querySelector('#identifier').getAttribute('autocomplete')`))
	b.Do(chromedp.Navigate(b.Base + "/sign-in"))
	require.Equal(t, "sami", b.WaitSignedIn())
	require.Equal(t, []string{"passkey"}, sessionMethods(t, b))
	var got []string
	for _, e := range ceremonies(t, b) {
		if e.Kind == "get" {
			got = append(got, e.Mediation+" "+e.Ev)
		}
	}
	require.Equal(t, []string{"conditional start", "conditional resolved"}, got)
}

// TestHostedPasskeyOffer: after a password sign-in, in a browser without
// conditional create, one screen offers a passkey; the credential is then
// on the authenticator. The autofill request the page started is aborted
// when the person signs in with the password: the page started it before
// the authenticator existed (it waits on the real platform, for ever), and
// the offer's ceremony works only because it was aborted.
func TestHostedPasskeyOffer(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "olga", "", strongPassword)
	b := newBrowser(t, f, withScript(noConditionalCreate), withScript(ceremonyLog))
	b.Open("/sign-in")
	b.WaitFor(`JSON.parse(sessionStorage.getItem('ceremonies') || '[]').some((e) => e.mediation === 'conditional')`, "the autofill request")
	b.AddAuthenticator(platformAuthenticator())

	b.Type("#identifier", "olga")
	b.Type("#password", strongPassword)
	b.Click("#sign-in-form button[type=submit]")
	b.WaitStep("passkey-offer")
	require.Empty(t, b.Credentials())
	b.Click("[data-step=passkey-offer] button[type=submit]")
	require.Equal(t, "olga", b.WaitSignedIn())

	creds := b.Credentials()
	require.Len(t, creds, 1, "the offer made a passkey")
	require.Equal(t, "localhost", creds[0].RpID)
	require.Equal(t, "olga", creds[0].UserName)
	require.Equal(t, []string{"password", "webauthn"}, sessionMethods(t, b))
	var got []string
	for _, e := range ceremonies(t, b) {
		if e.Kind != "" {
			got = append(got, e.Kind+" "+e.Mediation+" "+e.Ev)
		}
	}
	require.Equal(t, []string{"get conditional start", "get conditional abort", "get conditional rejected", "create modal start", "create modal resolved"}, got)

	// The next sign-in offers nothing: the person has a passkey (and the
	// autofill now signs in with it, so use a browser without autofill).
	signOutInBrowser(t, b)
	c := newBrowser(t, f, withScript(noConditionalCreate), withScript(noAutofill))
	passwordSignIn(t, c, "olga", strongPassword)
	c.WaitStep("mfa-passkey")
}

// TestHostedConditionalCreate: where the browser can create a passkey
// without a dialog, the page starts that after the password (from options
// begun as conditional: user verification not required) and never shows
// the offer. The request never holds the flow: Debian's Chromium never
// completes it, and the sign-in goes on; it is aborted before the next,
// button-driven ceremony, which then succeeds.
func TestHostedConditionalCreate(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "pia", "", strongPassword)
	patchSettings(t, f, "demo", map[string]any{"mfa": map[string]any{"policy": "prompt"}, "passkey": map[string]any{"userVerification": "required"}})
	b := newBrowser(t, f, passkeyDevice(), withScript(ceremonyLog))

	passwordSignIn(t, b, "pia", strongPassword)
	require.True(t, Eval[bool](b, `PublicKeyCredential.getClientCapabilities().then((c) => c.conditionalCreate === true)`))
	b.WaitStep("bind") // prompt: a second factor is asked for
	b.Click("#bind-webauthn")
	b.Click("[data-step=bind] button[type=submit]")
	b.WaitStep("bind-passkey")
	b.Click("[data-step=bind-passkey] button[type=submit]")
	require.Equal(t, "pia", b.WaitSignedIn())

	var creates []ceremonyEvent
	for _, e := range ceremonies(t, b) {
		require.NotContains(t, e.URL, "passkey-offer", "never both: no offer where conditional create exists")
		if e.Kind == "create" {
			creates = append(creates, e)
		}
	}
	require.Len(t, creates, 5, "%+v", creates)
	require.Equal(t, "conditional start", creates[0].Mediation+" "+creates[0].Ev)
	require.Equal(t, "preferred", creates[0].UV, "a conditional create never requires user verification")
	require.Equal(t, "conditional abort", creates[1].Mediation+" "+creates[1].Ev)
	require.Equal(t, "conditional rejected AbortError", creates[2].Mediation+" "+creates[2].Ev+" "+creates[2].Name)
	require.Equal(t, "modal start", creates[3].Mediation+" "+creates[3].Ev)
	require.Equal(t, "required", creates[3].UV)
	require.Equal(t, "modal resolved", creates[4].Mediation+" "+creates[4].Ev)
	require.LessOrEqual(t, creates[2].At, creates[3].At, "aborted before the button's ceremony")
	require.Len(t, b.Credentials(), 1, "only the modal ceremony made a passkey")
}

// newP256 is a fresh credential key in the PKCS #8 form virtual
// authenticators take.
func newP256(t *testing.T) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return der
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// TestHostedSignalUnknownCredential: a passkey the tenant does not know
// (removed on the server, say) is refused with its own code, and the page
// asks the browser to forget it: the virtual authenticator then no longer
// holds it.
func TestHostedSignalUnknownCredential(t *testing.T) {
	f := startFoyer(t, nil)
	b := newBrowser(t, f, passkeyDevice())
	ghost := randomBytes(t, 16)
	b.AddCredential(plantedCredential{CredentialID: ghost, IsResidentCredential: true, RpID: "localhost",
		PrivateKey: newP256(t), UserHandle: randomBytes(t, 64), UserName: "ghost", SignCount: 1})
	require.Len(t, b.Credentials(), 1)

	b.Open("/sign-in") // the autofill offers the ghost at once
	b.WaitFor(`document.querySelector('.error-summary:not([hidden])')`, "the refusal")
	require.Equal(t, []string{"This passkey is not registered here any more. Use another way to sign in."}, b.Errors())
	require.Eventually(t, func() bool { return len(b.Credentials()) == 0 }, 5*time.Second, 50*time.Millisecond,
		"signalUnknownCredential removes the ghost")
}

// TestHostedSignalAcceptedCredentialsAndName: after a sign-in the page
// tells the browser which passkeys of the user the server accepts and what
// the user is called now: the authenticator drops a stale passkey of the
// user and renames the one it keeps.
func TestHostedSignalAcceptedCredentialsAndName(t *testing.T) {
	f := startFoyer(t, nil)
	// Virtual authenticators take P-256 keys: register an ES256 passkey.
	patchSettings(t, f, "demo", map[string]any{"passkey": map[string]any{"pubKeyCredParams": []int{-7}, "residentKey": "required"}})
	c := f.Demo()
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "rosa", "password": strongPassword}).Status)
	// Made where the browser's authenticator lives: a platform one ("internal"),
	// else the browser would look for it on a USB key.
	soft := authenticator.New(authenticator.WithTransports("internal"), authenticator.WithAttachment("platform"))
	cred, _ := bindPasskey(t, c, soft)
	submitOK(t, c)

	key, err := cred.PKCS8()
	require.NoError(t, err)
	real := func(resident bool) plantedCredential {
		return plantedCredential{CredentialID: cred.ID, IsResidentCredential: resident, RpID: "localhost",
			PrivateKey: key, UserHandle: cred.UserHandle, SignCount: float64(soft.Credentials()[0].SignCount),
			UserName: "rosa-old", UserDisplayName: "Rosa Old"}
	}
	signIn := func(b *Browser) {
		passwordSignIn(t, b, "rosa", strongPassword)
		b.WaitStep("mfa-passkey") // allowCredentials names the real one
		b.Click("[data-step=mfa-passkey] button[type=submit]")
		require.Equal(t, "rosa", b.WaitSignedIn())
		soft.Credentials()[0].SignCount++ // the browser's copy counted one more use
	}
	// held waits until the authenticator holds one credential, want.
	held := func(b *Browser, what string, want func(c *webauthn.Credential) bool) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			creds := b.Credentials()
			if len(creds) == 1 && want(creds[0]) {
				return
			}
			if time.Now().After(deadline) {
				for _, c := range creds {
					t.Logf("held: %x resident=%v name=%q", c.CredentialID, c.IsResidentCredential, c.UserName)
				}
				t.Fatalf("%s (the real passkey is %x)", what, cred.ID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// A passkey of the user the server does not know (deleted there, say),
	// discoverable on the device: signalAllAcceptedCredentials drops it.
	// (An authenticator keeps one discoverable credential per user, so the
	// real one is a plain one here.)
	b := newBrowser(t, f, passkeyDevice(), withScript(noAutofill))
	b.AddCredential(real(false))
	b.AddCredential(plantedCredential{CredentialID: randomBytes(t, 16), IsResidentCredential: true, RpID: "localhost",
		PrivateKey: newP256(t), UserHandle: cred.UserHandle, UserName: "rosa-old", SignCount: 1})
	require.Len(t, b.Credentials(), 2)
	signIn(b)
	held(b, "the stale passkey was not dropped", func(c *webauthn.Credential) bool { return bytes.Equal(c.CredentialID, cred.ID) })

	// The passkey under the name the user had before being renamed:
	// signalCurrentUserDetails renames it.
	b2 := newBrowser(t, f, passkeyDevice(), withScript(noAutofill))
	b2.AddCredential(real(true))
	signIn(b2)
	held(b2, "the passkey was not renamed", func(c *webauthn.Credential) bool {
		return bytes.Equal(c.CredentialID, cred.ID) && c.UserName == "rosa" && c.UserDisplayName == "rosa"
	})
}
