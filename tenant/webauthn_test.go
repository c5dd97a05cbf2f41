package tenant

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWebAuthnOrigins(t *testing.T) {
	tn := &Tenant{Hosts: []string{"login.acme.com", "acme.com", "acme.de", "other.example"}, Settings: DefaultSettings()}
	tn.Settings.RPID = "acme.com"
	tn.Settings.Origins = []string{"https://partner.example"}
	tn.Settings.RelatedOrigins = []string{"https://acme.de"}
	require.Equal(t, []string{"https://login.acme.com", "https://acme.com", "https://partner.example", "https://acme.de"}, tn.WebAuthnOrigins())
	tests := []struct {
		origin string
		dev    bool
		want   bool
	}{
		{"https://acme.com", false, true},
		{"https://login.acme.com", false, true},
		{"https://acme.de", false, true},         // related
		{"https://partner.example", false, true}, // configured
		{"https://other.example", false, false},  // a host, but outside the RP ID
		{"https://evilacme.com", false, false},   // not a subdomain
		{"https://acme.com:8443", false, false},
		{"https://acme.com:8443", true, true},
		{"http://login.acme.com:3001", true, true},
		{"http://login.acme.com", false, false},
		{"https://acme.com/path", false, false},
	}
	for _, tt := range tests {
		tn.Dev = tt.dev
		require.Equal(t, tt.want, tn.AllowsWebAuthnOrigin(tt.origin), "%s dev=%v", tt.origin, tt.dev)
	}
}

func TestValidRelatedOrigin(t *testing.T) {
	for o, want := range map[string]bool{
		"https://app.example":       true,
		"https://app.example:8443":  true,
		"http://app.example":        false,
		"https://app.example/":      false,
		"https://app.example/x":     false,
		"https://app.example?x":     false,
		"https://app.example#x":     false,
		"https://user@app.example":  false,
		"https://App.Example":       false,
		"app.example":               false,
		"https://":                  false,
		"javascript:alert(1)//x.io": false,
	} {
		require.Equal(t, want, ValidRelatedOrigin(o), o)
	}
}

func TestDelivers(t *testing.T) {
	tn := &Tenant{Settings: DefaultSettings()}
	require.False(t, tn.Delivers("email"))
	require.False(t, tn.Delivers("phone"))
	tn.Dev = true // the log connector
	require.True(t, tn.Delivers("email"))
	require.True(t, tn.Delivers("phone"))
}
