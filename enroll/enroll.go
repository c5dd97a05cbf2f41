package enroll

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	json "github.com/goccy/go-json"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// Errors of the core. Verification failures are verification's own
// (ErrWebAuthnFailed and the others), wrapped.
var (
	// ErrCredentialInUse: the authenticator answered with a credential id
	// that an account of the tenant already holds.
	ErrCredentialInUse = errors.New("enroll: credential already registered")
	// ErrNotPending: no ceremony under that key (never started, expired,
	// or already answered).
	ErrNotPending = errors.New("enroll: no pending enrollment")
	// ErrUnavailable: Redis did not answer.
	ErrUnavailable = errors.New("enroll: storage unavailable")
)

// Method types of the account API (the seeds' method_type).
const (
	// MethodPasskey: a discoverable credential with user verification, on
	// the device or a phone nearby.
	MethodPasskey = "webauthn_passkey"
	// MethodSecurityKey: a roaming authenticator, not necessarily
	// discoverable.
	MethodSecurityKey = "webauthn_security_key"
)

// Choice is what one enrollment asks of the authenticator beyond the
// tenant's preferences. The zero Choice is the tenant's preferences as
// they are (the interaction's, and the Mailcheap-style options').
type Choice struct {
	// Method narrows the preferences to a passkey or a security key.
	Method string
	// Attachment, when set, overrides the authenticator attachment.
	Attachment string
	// RPID is one of the tenant's hosts; "" is the tenant's RP ID.
	RPID string
	// Conditional asks for a registration without a dialog (see
	// verification.Registration).
	Conditional bool
}

// Registration returns the ceremony's preferences: t's, narrowed by c.
func (c Choice) Registration(t *tenant.Tenant) verification.Registration {
	if c == (Choice{}) || c == (Choice{Conditional: true}) {
		// The interaction's hot path: nothing to copy.
		r := verification.TenantRegistration(t)
		r.Conditional = c.Conditional
		return r
	}
	p := t.Settings.Passkey
	p.PubKeyCredParams = slices.Clone(p.PubKeyCredParams)
	p.Hints = slices.Clone(p.Hints)
	switch c.Method {
	case MethodPasskey:
		// W3C WebAuthn L3 §5.4.6, §5.8.7: a discoverable credential that
		// verifies the user, offered by the client device or a phone
		// (hybrid transport).
		p.ResidentKey, p.UserVerification = "required", "required"
		p.AuthenticatorAttachment = ""
		p.Hints = []string{"client-device", "hybrid"}
	case MethodSecurityKey:
		p.AuthenticatorAttachment, p.ResidentKey = "cross-platform", "discouraged"
		p.Hints = []string{"security-key"}
	}
	if c.Attachment != "" {
		p.AuthenticatorAttachment = c.Attachment
	}
	return verification.Registration{Passkey: p, RPID: c.RPID, Conditional: c.Conditional}
}

// Core is the enrollment core. It is safe for concurrent use.
type Core struct {
	WebAuthn *verification.WebAuthn
	Accounts *account.Store
	// Redis keeps pending ceremonies (Start, Complete).
	Redis redis.UniversalClient
	Now   func() time.Time
}

// Options builds creation options for u under c: a new ceremony the caller
// keeps.
func (core *Core) Options(t *tenant.Tenant, origin string, u *verification.User, c Choice) (verification.Ceremony, error) {
	return core.WebAuthn.BeginRegistration(t, origin, u, c.Registration(t))
}

// Verify checks a registration response (RegistrationResponseJSON) against
// the ceremony's session data and returns the credential to store, with a
// new FactorID and its creation time. A credential id that an account of
// the tenant holds already is ErrCredentialInUse (the atomic index claim
// when the credential is stored is the final word; this spares a failed
// write and tells the client why).
func (core *Core) Verify(ctx context.Context, t *tenant.Tenant, origin string, u *verification.User, session json.RawMessage, response []byte) (account.Credential, error) {
	cred, err := core.WebAuthn.FinishRegistration(t, origin, u, session, response)
	if err != nil {
		return account.Credential{}, err
	}
	taken, err := core.Accounts.Taken(ctx, t.ID, account.KindCredID, b64(cred.ID))
	if err != nil {
		return account.Credential{}, err
	}
	if taken {
		return account.Credential{}, ErrCredentialInUse
	}
	cred.FactorID = NewID()
	cred.CreatedAt = core.Now().UTC()
	return cred, nil
}

// UserOf is the WebAuthn view of a stored user: its handle, a name for the
// authenticator's account picker, and its credentials (excluded from new
// registrations).
func UserOf(u *account.User) *verification.User {
	name := u.Username
	if name == "" {
		name = u.PrimaryEmail
	}
	if name == "" {
		name = u.PrimaryPhone
	}
	if name == "" {
		name = "user"
	}
	return &verification.User{Handle: u.WebAuthnHandle, Name: name, DisplayName: name, Credentials: u.MFA.WebAuthn}
}

// NewID returns 128 random bits, base64url: ids of enrollments, factors,
// codes and tokens.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return b64(b[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
