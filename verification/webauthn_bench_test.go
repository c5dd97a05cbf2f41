package verification

import (
	"bytes"
	"testing"

	"github.com/foyer-auth/foyer/account"
)

// benchUser is a user as the interaction presents one: a 64-byte handle,
// an e-mail as the name and two credentials to exclude or allow.
func benchUser() *User {
	return &User{Handle: bytes.Repeat([]byte{7}, 64), Name: "ada@example.com", DisplayName: "ada@example.com",
		Credentials: []account.Credential{
			{ID: bytes.Repeat([]byte{1}, 32), Transports: []string{"internal", "hybrid"}},
			{ID: bytes.Repeat([]byte{2}, 16), Transports: []string{"usb"}},
		}}
}

// BenchmarkBeginRegistration is the registration options call of the
// interaction (the load test's request), after the first call.
func BenchmarkBeginRegistration(b *testing.B) {
	w, tn, u := NewWebAuthn(), fuzzTenant(), benchUser()
	u.Credentials = nil // a new user has nothing to exclude
	reg := TenantRegistration(tn)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.BeginRegistration(tn, origin, u, reg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBeginLogin(b *testing.B) {
	w, tn, u := NewWebAuthn(), fuzzTenant(), benchUser()
	b.Run("user", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.BeginLogin(tn, origin, u); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("discoverable", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := w.BeginLogin(tn, origin, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
