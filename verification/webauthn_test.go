package verification

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
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

// TestCeremoniesPerVariant: ceremonies begun from templates of each kind
// are answered by a software authenticator and verified by the library.
func TestCeremoniesPerVariant(t *testing.T) {
	ror := func() *tenant.Tenant {
		tn := &tenant.Tenant{ID: "00000000-0000-4000-8000-000000000001", Slug: "ror",
			Hosts: []string{"rp.test", "login.rp.test"}, Settings: tenant.DefaultSettings()}
		tn.Settings.RPID = "rp.test"
		tn.Settings.RelatedOrigins = []string{"https://app.test"}
		return tn
	}
	securityKey := func(tn *tenant.Tenant) Registration {
		r := TenantRegistration(tn)
		r.Passkey.AuthenticatorAttachment, r.Passkey.ResidentKey, r.Passkey.Hints = "cross-platform", "discouraged", []string{"security-key"}
		return r
	}
	tests := []struct {
		name         string
		tenant       *tenant.Tenant
		origin       string
		reg          func(*tenant.Tenant) Registration
		a            []authenticator.Option
		rpID         string // of the credential
		discoverable bool   // sign in without an identifier
		uvRequired   bool
		loginOK      bool
	}{
		{name: "dev origin, user-bound", tenant: fuzzTenant(), origin: origin, reg: TenantRegistration, rpID: "localhost", loginOK: true},
		{name: "related origin, discoverable", tenant: ror(), origin: "https://app.test", reg: TenantRegistration, rpID: "rp.test", discoverable: true, loginOK: true},
		{name: "host under the RP ID, verification required", tenant: ror(), origin: "https://login.rp.test", reg: TenantRegistration, rpID: "rp.test", uvRequired: true, loginOK: true},
		{name: "verification required, not given", tenant: fuzzTenant(), origin: origin, reg: TenantRegistration,
			a: []authenticator.Option{authenticator.WithUV(false)}, rpID: "localhost", uvRequired: true},
		{name: "security key", tenant: fuzzTenant(), origin: origin, reg: securityKey, rpID: "localhost", uvRequired: true, loginOK: true},
		{name: "conditional, discoverable", tenant: fuzzTenant(), origin: origin,
			reg:  func(tn *tenant.Tenant) Registration { r := TenantRegistration(tn); r.Conditional = true; return r },
			rpID: "localhost", discoverable: true, loginOK: true},
		{name: "RP ID of a host", tenant: ror(), origin: "https://login.rp.test",
			reg:  func(tn *tenant.Tenant) Registration { r := TenantRegistration(tn); r.RPID = "login.rp.test"; return r },
			rpID: "login.rp.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWebAuthn()
			a := authenticator.New(tt.a...)
			u := &User{Handle: []byte("handle of " + tt.name), Name: `"` + tt.name + `" </script>`, DisplayName: "\u2028\x01"}
			c, err := w.BeginRegistration(tt.tenant, tt.origin, u, tt.reg(tt.tenant))
			require.NoError(t, err)
			_, resp, err := a.Register(c.Options, tt.origin)
			require.NoError(t, err)
			cred, err := w.FinishRegistration(tt.tenant, tt.origin, u, c.Session, resp)
			require.NoError(t, err)
			require.Equal(t, tt.rpID, cred.RPID)
			if tt.rpID != tt.tenant.RPID() {
				return // signs in where that host is the RP ID, not here
			}
			u.Credentials = []account.Credential{cred}
			login := u
			if tt.discoverable {
				login = nil
			}
			var opts []LoginOption
			if tt.uvRequired {
				opts = append(opts, WithUserVerificationRequired())
			}
			c, err = w.BeginLogin(tt.tenant, tt.origin, login, opts...)
			require.NoError(t, err)
			assertion, err := a.Login(c.Options, tt.origin)
			require.NoError(t, err)
			parsed, err := ParseAssertion(assertion)
			require.NoError(t, err)
			as, err := w.FinishLogin(tt.tenant, tt.origin, u, c.Session, parsed, time.Now())
			if !tt.loginOK {
				require.ErrorIs(t, err, ErrWebAuthnFailed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, uint32(1), as.Credential.SignCount)
			if tt.discoverable {
				require.Equal(t, u.Handle, as.UserHandle)
			}
		})
	}
}

// TestLoginWithoutPasskey: request options for a user without any
// credential are ErrNoPasskey (the library's refusal would be a 500).
func TestLoginWithoutPasskey(t *testing.T) {
	_, err := NewWebAuthn().BeginLogin(fuzzTenant(), origin, &User{Handle: make([]byte, 64), Name: "ada"})
	require.ErrorIs(t, err, ErrNoPasskey)
}
