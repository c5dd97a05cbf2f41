package verification

import (
	"bytes"
	"encoding/base64"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// TestSessionIsForItsUser: a session names its user by a holder, never by
// the handle, and finishes only for that user, as a session holding the
// handle did.
func TestSessionIsForItsUser(t *testing.T) {
	w, tn := NewWebAuthn(), fuzzTenant()
	ada := &User{Handle: bytes.Repeat([]byte{1}, 64), Name: "ada", DisplayName: "ada"}
	eve := &User{Handle: bytes.Repeat([]byte{2}, 64), Name: "ada", DisplayName: "ada"}
	a := authenticator.New()

	c, err := w.BeginRegistration(tn, origin, ada, TenantRegistration(tn))
	require.NoError(t, err)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		require.NotContains(t, string(c.Session), enc.EncodeToString(ada.Handle)[:20])
	}
	_, resp, err := a.Register(c.Options, origin)
	require.NoError(t, err)
	_, err = w.FinishRegistration(tn, origin, eve, c.Session, resp)
	require.ErrorIs(t, err, ErrWebAuthnFailed)
	require.ErrorIs(t, err, errOtherHolder)
	cred, err := w.FinishRegistration(tn, origin, ada, c.Session, resp)
	require.NoError(t, err)
	ada.Credentials = []account.Credential{cred}
	eve.Credentials = []account.Credential{cred} // so that only the holder tells them apart

	c, err = w.BeginLogin(tn, origin, ada)
	require.NoError(t, err)
	resp, err = a.Login(c.Options, origin)
	require.NoError(t, err)
	parsed, err := ParseAssertion(resp)
	require.NoError(t, err)
	_, err = w.FinishLogin(tn, origin, eve, c.Session, parsed, time.Now())
	require.ErrorIs(t, err, errOtherHolder)
	_, err = w.FinishLogin(tn, origin, ada, c.Session, parsed, time.Now())
	require.NoError(t, err)
}

// TestSessionsWithoutHolder: a session as the library encodes it, with the
// handle (ceremonies begun before holders), finishes as it did, for its
// user only; a session of a discoverable login has no user to check.
func TestSessionsWithoutHolder(t *testing.T) {
	w, tn := NewWebAuthn(), fuzzTenant()
	ada := &User{Handle: bytes.Repeat([]byte{1}, 64), Name: "ada", DisplayName: "ada"}
	eve := &User{Handle: bytes.Repeat([]byte{2}, 64), Name: "ada", DisplayName: "ada"}
	a := authenticator.New()
	challenge := bytes.Repeat([]byte{7}, 32)

	legacy, err := libRegistration(w, tn, origin, ada, TenantRegistration(tn), challenge)
	require.NoError(t, err)
	require.Contains(t, string(legacy.Session), `"user_id":"`+base64.StdEncoding.EncodeToString(ada.Handle)+`"`)
	_, resp, err := a.Register(legacy.Options, origin)
	require.NoError(t, err)
	_, err = w.FinishRegistration(tn, origin, eve, legacy.Session, resp)
	require.ErrorIs(t, err, ErrWebAuthnFailed)
	require.NotErrorIs(t, err, errOtherHolder, "the library's own check refused it")
	cred, err := w.FinishRegistration(tn, origin, ada, legacy.Session, resp)
	require.NoError(t, err)
	ada.Credentials = []account.Credential{cred}

	c, err := w.BeginLogin(tn, origin, nil)
	require.NoError(t, err)
	require.NotContains(t, string(c.Session), "holder")
	resp, err = a.Login(c.Options, origin)
	require.NoError(t, err)
	parsed, err := ParseAssertion(resp)
	require.NoError(t, err)
	_, err = w.FinishLogin(tn, origin, ada, c.Session, parsed, time.Now())
	require.NoError(t, err)
}
