package enroll_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/tenant"
)

func TestChoiceRegistration(t *testing.T) {
	tn := &tenant.Tenant{ID: "t", Hosts: []string{"acme.example"}, Settings: tenant.DefaultSettings()}
	tn.Settings.Passkey.Hints = []string{"security-key"}
	tests := []struct {
		name       string
		choice     enroll.Choice
		rk, uv     string
		attachment string
		hints      []string
	}{
		{"tenant's own", enroll.Choice{}, "preferred", "preferred", "", []string{"security-key"}},
		{"passkey", enroll.Choice{Method: enroll.MethodPasskey}, "required", "required", "", []string{"client-device", "hybrid"}},
		{"security key", enroll.Choice{Method: enroll.MethodSecurityKey}, "discouraged", "preferred", "cross-platform", []string{"security-key"}},
		{"passkey on this device", enroll.Choice{Method: enroll.MethodPasskey, Attachment: "platform"}, "required", "required", "platform", []string{"client-device", "hybrid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := tt.choice.Registration(tn)
			require.Equal(t, tt.rk, reg.Passkey.ResidentKey)
			require.Equal(t, tt.uv, reg.Passkey.UserVerification)
			require.Equal(t, tt.attachment, reg.Passkey.AuthenticatorAttachment)
			require.Equal(t, tt.hints, reg.Passkey.Hints)
		})
	}
	require.Equal(t, []string{"security-key"}, tn.Settings.Passkey.Hints, "the tenant's settings are not changed")
}
