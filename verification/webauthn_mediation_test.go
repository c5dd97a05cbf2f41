package verification

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// TestConditionalRegistration: an answer without user presence (what a
// browser's conditional create sends, L3 §5.1.3) is accepted only for a
// registration begun as conditional; such a registration never requires
// user verification and asks for a discoverable credential.
func TestConditionalRegistration(t *testing.T) {
	tests := []struct {
		name        string
		conditional bool
		up          bool
		ok          bool
	}{
		{"conditional without presence", true, false, true},
		{"conditional with presence", true, true, true},
		{"modal without presence", false, false, false},
		{"modal with presence", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWebAuthn()
			tn := fuzzTenant()
			tn.Settings.Passkey.UserVerification = "required"
			tn.Settings.Passkey.ResidentKey = "discouraged"
			u := &User{Handle: make([]byte, 64), Name: "ada", DisplayName: "Ada"}
			c, err := w.BeginRegistration(tn, origin, u, Registration{Passkey: tn.Settings.Passkey, Conditional: tt.conditional})
			require.NoError(t, err)
			var opts CreationOptions
			require.NoError(t, json.Unmarshal(c.Options, &opts))
			if tt.conditional {
				require.Equal(t, "preferred", opts.AuthenticatorSelection.UserVerification, "conditional create cannot verify the user")
				require.Equal(t, "required", opts.AuthenticatorSelection.ResidentKey)
			} else {
				require.Equal(t, "required", opts.AuthenticatorSelection.UserVerification)
			}
			// A silent creation verifies nobody either.
			a := authenticator.New(authenticator.WithUP(tt.up), authenticator.WithUV(tt.up))
			_, resp, err := a.Register(c.Options, origin)
			require.NoError(t, err)
			cred, err := w.FinishRegistration(tn, origin, u, c.Session, resp)
			if !tt.ok {
				require.ErrorIs(t, err, ErrWebAuthnFailed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.up, cred.UserVerified)
		})
	}
}

// TestUnknownCredential: an assertion by a credential the user does not
// hold is ErrUnknownPasskey, not a failed check, so the page can tell the
// browser to forget it.
func TestUnknownCredential(t *testing.T) {
	w := NewWebAuthn()
	u := &User{Handle: make([]byte, 64), Name: "ada", DisplayName: "Ada"}
	a := authenticator.New()
	register(t, w, a, u)
	u.Credentials = nil // removed on the server since
	c, err := w.BeginLogin(fuzzTenant(), origin, nil)
	require.NoError(t, err)
	resp, err := a.Login(c.Options, origin)
	require.NoError(t, err)
	parsed, err := ParseAssertion(resp)
	require.NoError(t, err)
	_, err = w.FinishLogin(fuzzTenant(), origin, u, c.Session, parsed, time.Now())
	require.ErrorIs(t, err, ErrUnknownPasskey)
	require.NotErrorIs(t, err, ErrWebAuthnFailed)
}

// TestWebAuthnOrigins: with RP ID rp.test, a ceremony from a host under it
// or from a related origin is accepted; one from a tenant host outside the
// RP ID that is not listed as related is refused, as a browser refuses it.
func TestWebAuthnOrigins(t *testing.T) {
	tn := &tenant.Tenant{ID: "00000000-0000-4000-8000-000000000001", Slug: "ror",
		Hosts: []string{"rp.test", "login.rp.test", "app.test", "far.test"}, Settings: tenant.DefaultSettings()}
	tn.Settings.RPID = "rp.test"
	tn.Settings.RelatedOrigins = []string{"https://app.test"}
	tests := []struct {
		origin string
		ok     bool
	}{
		{"https://rp.test", true},
		{"https://login.rp.test", true},
		{"https://app.test", true},
		{"https://far.test", false},
		{"https://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			require.Equal(t, tt.ok, tn.AllowsWebAuthnOrigin(tt.origin))
			w := NewWebAuthn()
			u := &User{Handle: make([]byte, 64), Name: "ada", DisplayName: "Ada"}
			c, err := w.BeginRegistration(tn, tt.origin, u, TenantRegistration(tn))
			require.NoError(t, err)
			_, resp, err := authenticator.New().Register(c.Options, tt.origin)
			require.NoError(t, err)
			cred, err := w.FinishRegistration(tn, tt.origin, u, c.Session, resp)
			if !tt.ok {
				require.ErrorIs(t, err, ErrWebAuthnFailed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "rp.test", cred.RPID)
			u.Credentials = []account.Credential{cred}
		})
	}
}
