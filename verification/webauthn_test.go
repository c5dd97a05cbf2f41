package verification

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

const origin = "http://localhost:3001"

// register runs a registration ceremony with a software authenticator.
func register(t *testing.T, w *WebAuthn, a *authenticator.Authenticator, u *User) account.Credential {
	t.Helper()
	c, err := w.BeginRegistration(fuzzTenant(), origin, u, TenantRegistration(fuzzTenant()))
	require.NoError(t, err)
	_, resp, err := a.Register(c.Options, origin)
	require.NoError(t, err)
	cred, err := w.FinishRegistration(fuzzTenant(), origin, u, c.Session, resp)
	require.NoError(t, err)
	return cred
}

func TestWebAuthnCeremonies(t *testing.T) {
	w := NewWebAuthn()
	u := &User{Handle: make([]byte, 64), Name: "ada", DisplayName: "Ada"}
	a := authenticator.New(authenticator.WithType("WebAuthn"), authenticator.WithBackup(true, false), authenticator.WithTransports("usb"))
	cred := register(t, w, a, u)
	require.Equal(t, int64(-8), cred.Algorithm, "the tenant's first algorithm, Ed25519")
	require.Equal(t, "localhost", cred.RPID)
	require.Equal(t, []string{"usb"}, cred.Transports)
	require.True(t, cred.BackupEligible)
	require.False(t, cred.BackupState)
	require.True(t, cred.Discoverable, "credProps reported a resident key")
	u.Credentials = []account.Credential{cred}

	login := func() (Assertion, error) {
		c, err := w.BeginLogin(fuzzTenant(), origin, u)
		require.NoError(t, err)
		resp, err := a.Login(c.Options, origin)
		require.NoError(t, err)
		parsed, err := ParseAssertion(resp)
		require.NoError(t, err)
		return w.FinishLogin(fuzzTenant(), origin, u, c.Session, parsed, time.Now())
	}
	// The passkey has been synced since: the backup state is updated.
	a.BackupState = true
	as, err := login()
	require.NoError(t, err)
	require.Equal(t, uint32(1), as.Credential.SignCount)
	require.True(t, as.UserVerified)
	require.True(t, as.Credential.BackupState)
	require.False(t, as.Credential.LastUsedAt.IsZero())
	u.Credentials[0] = as.Credential

	// A clone replays an old counter: refused, though the library only flags it.
	a.Credentials()[0].SignCount = 0
	_, err = login()
	require.ErrorIs(t, err, ErrCloneSuspected)
}

func TestWebAuthnCeremonyExpires(t *testing.T) {
	w := NewWebAuthn()
	tn := fuzzTenant()
	tn.Settings.Passkey.Timeout = 1 // ms: the ceremony is over before the answer
	u := &User{Handle: make([]byte, 64), Name: "bob", DisplayName: "Bob"}
	c, err := w.BeginRegistration(tn, origin, u, TenantRegistration(tn))
	require.NoError(t, err)
	_, resp, err := authenticator.New().Register(c.Options, origin)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	_, err = w.FinishRegistration(tn, origin, u, c.Session, resp)
	require.Error(t, err)
	require.True(t, errors.Is(err, ErrWebAuthnFailed))
	require.Contains(t, err.Error(), "xpired")
}
