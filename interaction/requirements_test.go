package interaction

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// fullInteraction has every field set, as if every step of every event
// had happened in it.
func fullInteraction(ev Event) Interaction {
	return Interaction{
		TenantID: "t1", Event: ev, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		UserID: "u1", UserFactors: []string{"Totp"},
		Verified:           []Verified{{Method: "password", Kind: "username", Value: "ann"}, {Method: "emailCode", Kind: "email", Value: "ann@x.test"}},
		Profile:            Profile{Username: "ann", Email: "ann@x.test", Phone: "+15551234567", PasswordHash: "$argon2id$..."},
		MFAVerified:        true,
		Subject:            &Subject{Handle: []byte("old-handle")},
		Ceremony:           &Ceremony{Kind: kindAuthentication, Session: []byte(`{"challenge":"c"}`)},
		PendingCredentials: []account.Credential{{ID: []byte("cred")}},
		Code:               &verification.Code{Channel: "email", Recipient: "ann@x.test", Purpose: string(ev)},
		TOTPSecret:         "sealed",
		PendingTOTP:        &account.TOTP{Sealed: "sealed"},
		BackupHashes:       []string{"h"},
		PendingBackupCodes: []string{"h"},
		MFASkipped:         true,
		Submitting:         true,
		AuthRequestID:      "areq",
	}
}

// TestSwitchEvent: a change of event keeps the tenant and creation time and
// nothing else (a Register gets a fresh subject); the same event keeps all.
func TestSwitchEvent(t *testing.T) {
	// Every field is set, so a field added later is covered too.
	v := reflect.ValueOf(fullInteraction(SignIn))
	for i := range v.NumField() {
		require.False(t, v.Field(i).IsZero(), "fullInteraction leaves %s unset", v.Type().Field(i).Name)
	}
	events := []Event{SignIn, Register, ForgotPassword}
	for _, from := range events {
		for _, to := range events {
			t.Run(string(from)+" to "+string(to), func(t *testing.T) {
				ix := fullInteraction(from)
				ix.switchEvent(to, []byte("new-handle"))
				if from == to {
					require.Equal(t, fullInteraction(from), ix)
					return
				}
				want := Interaction{TenantID: "t1", Event: to, CreatedAt: fullInteraction(from).CreatedAt, AuthRequestID: "areq"}
				if to == Register {
					want.Subject = &Subject{Handle: []byte("new-handle")}
				}
				require.Equal(t, want, ix)
			})
		}
	}
}

func TestRequirements(t *testing.T) {
	settings := func(policy string, backup bool) *tenant.Tenant {
		s := tenant.DefaultSettings()
		s.MFA = tenant.MFA{Policy: policy, BackupCodes: backup}
		return &tenant.Tenant{ID: "t1", Settings: s}
	}
	off, prompt, mandatory := settings("off", false), settings("prompt", false), settings("mandatory", false)
	password := Verified{Method: "password", Kind: "username", Value: "ann"}
	emailCode := Verified{Method: "emailCode", Kind: "email", Value: "ann@x.test"}
	full := Profile{Username: "ann", PasswordHash: "h"}
	tests := []struct {
		name    string
		t       *tenant.Tenant
		ix      Interaction
		factors []string
		want    []string
		err     *httpx.Error // submit's answer: the first requirement's
	}{
		{"sign-in without identifier", off, Interaction{Event: SignIn}, nil, []string{"identifier"}, ErrIdentifierNotFound},
		{"sign-in by a code of no user", off, Interaction{Event: SignIn, Verified: []Verified{emailCode}}, nil, []string{"identifier"}, ErrUserNotExist},
		{"sign-in, no factors", off, Interaction{Event: SignIn, UserID: "u1", Verified: []Verified{password}}, nil, nil, nil},
		{"sign-in, factor not verified", off, Interaction{Event: SignIn, UserID: "u1", Verified: []Verified{password}}, []string{"Totp"}, []string{"mfa"}, ErrRequireMFA},
		{"sign-in, factor verified", off, Interaction{Event: SignIn, UserID: "u1", MFAVerified: true}, []string{"Totp"}, nil, nil},
		{"sign-in, factor not verified, another bound", off, Interaction{Event: SignIn, UserID: "u1", PendingTOTP: &account.TOTP{}}, []string{"WebAuthn"}, []string{"mfa"}, ErrRequireMFA},
		{"sign-in, mandatory, no factors", mandatory, Interaction{Event: SignIn, UserID: "u1"}, nil, []string{"mfa-binding"}, ErrMissingMFA},
		{"sign-in, prompt, no factors", prompt, Interaction{Event: SignIn, UserID: "u1"}, nil, []string{"mfa-binding"}, ErrMissingMFA},
		{"sign-in, prompt, skipped", prompt, Interaction{Event: SignIn, UserID: "u1", MFASkipped: true}, nil, nil, nil},
		{"register, empty", prompt, Interaction{Event: Register}, nil, []string{"username", "password", "mfa-binding"}, ErrMissingProfile},
		{"register, profile", off, Interaction{Event: Register, Profile: full}, nil, nil, nil},
		{"register, first factor without backup codes", settings("prompt", true), Interaction{Event: Register, Profile: full, PendingTOTP: &account.TOTP{}, MFAVerified: true}, nil, []string{"backup-codes"}, ErrBackupCodeRequired},
		{"register, first factor with backup codes", settings("prompt", true), Interaction{Event: Register, Profile: full, PendingTOTP: &account.TOTP{}, PendingBackupCodes: []string{"h"}, MFAVerified: true}, nil, nil, nil},
		{"reset, empty", off, Interaction{Event: ForgotPassword}, nil, []string{"identifier", "password"}, ErrIdentifierNotFound},
		{"reset, identified by a password", off, Interaction{Event: ForgotPassword, UserID: "u1", Verified: []Verified{password}, Profile: full}, nil, []string{"identifier"}, ErrIdentifierNotFound},
		{"reset, identified by code", off, Interaction{Event: ForgotPassword, UserID: "u1", Verified: []Verified{emailCode}}, nil, []string{"password"}, ErrNewPasswordRequired},
		{"reset, factors do not stop a reset", mandatory, Interaction{Event: ForgotPassword, UserID: "u1", Verified: []Verified{emailCode}, Profile: Profile{PasswordHash: "h"}}, []string{"Totp"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need := requirements(tt.t, &tt.ix, tt.factors)
			var names []string
			for _, r := range need {
				names = append(names, r.name)
			}
			require.Equal(t, tt.want, names)
			if tt.err == nil {
				return
			}
			require.True(t, errors.Is(need[0].err, tt.err), "got %v, want %v", need[0].err, tt.err)
		})
	}
}
