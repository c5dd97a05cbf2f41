package verification

import (
	"errors"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/tenant"
)

// fuzzTenant is a dev tenant on localhost with the default passkey settings.
func fuzzTenant() *tenant.Tenant {
	return &tenant.Tenant{ID: "00000000-0000-4000-8000-000000000000", Slug: "fuzz", Hosts: []string{"localhost"},
		Settings: tenant.DefaultSettings(), Dev: true}
}

// FuzzWebAuthnResponses feeds arbitrary bytes, as a client could send them,
// to the registration and assertion decoders and verifiers. They must never
// panic, and every refusal must be ErrWebAuthnFailed (a 400 for the client),
// never an error that would surface as a 500.
func FuzzWebAuthnResponses(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `[]`, `{"type":"WebAuthn"}`,
		`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"AAAA","attestationObject":"AAAA"}}`,
		`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0","attestationObject":"oWNmbXRkbm9uZQ"}}`,
		`{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"clientDataJSON":"AAAA","authenticatorData":"AAAA","signature":"AAAA","userHandle":"AAAA"}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	w := NewWebAuthn()
	t := fuzzTenant()
	user := &User{Handle: make([]byte, 64), Name: "fuzz", DisplayName: "fuzz"}
	reg, err := w.BeginRegistration(t, "http://localhost:3001", user, TenantRegistration(t))
	if err != nil {
		f.Fatal(err)
	}
	login, err := w.BeginLogin(t, "http://localhost:3001", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(tt *testing.T, body []byte) {
		if _, err := w.FinishRegistration(t, "http://localhost:3001", user, reg.Session, body); err == nil {
			tt.Fatal("garbage accepted as an attestation")
		} else if !errors.Is(err, ErrWebAuthnFailed) {
			tt.Fatalf("attestation error is not ErrWebAuthnFailed: %v", err)
		}
		parsed, err := ParseAssertion(body)
		if err != nil {
			if !errors.Is(err, ErrWebAuthnFailed) {
				tt.Fatalf("assertion parse error is not ErrWebAuthnFailed: %v", err)
			}
			return
		}
		if _, err := w.FinishLogin(t, "http://localhost:3001", user, login.Session, parsed, time.Now()); err == nil {
			tt.Fatal("garbage accepted as an assertion")
		}
	})
}
