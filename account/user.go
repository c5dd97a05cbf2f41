package account

import (
	"crypto/sha256"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// User is one person in one tenant.
type User struct {
	ID           string `json:"id"`
	Username     string `json:"username,omitempty"`
	PrimaryEmail string `json:"primaryEmail,omitempty"`
	PrimaryPhone string `json:"primaryPhone,omitempty"`
	PasswordHash string `json:"passwordHash,omitempty"`
	// WebAuthnHandle is the stable, random WebAuthn user handle (64 bytes,
	// no PII), so authenticators never learn the user id.
	WebAuthnHandle []byte     `json:"webauthnHandle"`
	MFA            MFAFactors `json:"mfa"`
	// Suspended users cannot sign in; an admin sets and clears it.
	Suspended bool `json:"suspended,omitempty"`
	// Tokens are the user's personal access tokens, kept hashed.
	Tokens    []AccessToken `json:"tokens,omitempty"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedAt time.Time     `json:"updatedAt"`
}

// MFAFactors are the user's second factors.
type MFAFactors struct {
	WebAuthn    []Credential `json:"webauthn,omitempty"`
	TOTP        *TOTP        `json:"totp,omitempty"`
	BackupCodes []BackupCode `json:"backupCodes,omitempty"`
}

// TOTP is an RFC 6238 authenticator app binding. The secret is sealed
// (AES-GCM under the server key, bound to the user); LastStep is the last
// time step accepted, so no code is accepted twice.
type TOTP struct {
	Sealed    string    `json:"sealed"`
	LastStep  int64     `json:"lastStep"`
	CreatedAt time.Time `json:"createdAt"`
}

// BackupCode is one single-use code, kept only as an argon2id hash.
type BackupCode struct {
	Hash   string     `json:"hash"`
	UsedAt *time.Time `json:"usedAt,omitempty"`
}

// RemainingBackupCodes counts the unused backup codes.
func (u *User) RemainingBackupCodes() int {
	n := 0
	for _, c := range u.MFA.BackupCodes {
		if c.UsedAt == nil {
			n++
		}
	}
	return n
}

// Credential is a WebAuthn public-key credential bound to the user.
type Credential struct {
	// FactorID names the credential in the account APIs (short and random,
	// unlike ID, which the authenticator chose and may be long). Credentials
	// stored before it existed have none: PublicID derives one.
	FactorID        string    `json:"factorId,omitempty"`
	ID              []byte    `json:"id"`
	PublicKey       []byte    `json:"publicKey"`
	Algorithm       int64     `json:"alg"`
	SignCount       uint32    `json:"signCount"`
	Transports      []string  `json:"transports,omitempty"`
	AAGUID          []byte    `json:"aaguid,omitempty"`
	Attachment      string    `json:"attachment,omitempty"`
	AttestationType string    `json:"attestationType,omitempty"`
	BackupEligible  bool      `json:"backupEligible"`
	BackupState     bool      `json:"backupState"`
	UserVerified    bool      `json:"userVerified"`
	Discoverable    bool      `json:"discoverable"`
	RPID            string    `json:"rpId"`
	Name            string    `json:"name"`
	CreatedAt       time.Time `json:"createdAt"`
	LastUsedAt      time.Time `json:"lastUsedAt,omitzero"`
}

// PublicID is the credential's id in the account APIs: its FactorID, or
// for an older credential one derived from its credential id.
func (c *Credential) PublicID() string {
	if c.FactorID != "" {
		return c.FactorID
	}
	sum := sha256.Sum256(append([]byte("foyer-factor\x00"), c.ID...))
	return b64(sum[:16])
}

// AccessToken is a personal access token: a long-lived secret the user
// created for a tool, shown once and kept only as the SHA-256 of its secret
// (256 random bits need no slow hash).
type AccessToken struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Hash       string    `json:"hash"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
}

// SecondFactors counts the factors that can stand as a second factor on
// their own: WebAuthn credentials and a TOTP app (backup codes only back
// them up).
func (u *User) SecondFactors() int {
	n := len(u.MFA.WebAuthn)
	if u.MFA.TOTP != nil {
		n++
	}
	return n
}

// Factors lists the MFA factor types the user has, in Logto's names.
func (u *User) Factors() []string {
	var out []string
	if u.MFA.TOTP != nil {
		out = append(out, "Totp")
	}
	if len(u.MFA.WebAuthn) > 0 {
		out = append(out, "WebAuthn")
	}
	if u.RemainingBackupCodes() > 0 {
		out = append(out, "BackupCode")
	}
	return out
}

// Identifier kinds, which are also index names.
const (
	KindUsername = "username"
	KindEmail    = "email"
	KindPhone    = "phone"
	KindHandle   = "handle"
	KindCredID   = "cred"
)

// UsernamePattern is Logto's username rule: a letter or underscore, then
// word characters. Every surface that accepts a username checks it here.
const UsernamePattern = `^[A-Za-z_]\w*$`

var usernameRE = regexp.MustCompile(UsernamePattern)

// ValidUsername reports whether s follows UsernamePattern.
func ValidUsername(s string) bool { return usernameRE.MatchString(s) }

// NormalizeUsername is the index form of a username: case-insensitive.
func NormalizeUsername(s string) string { return strings.ToLower(s) }

// NormalizePhone returns the E.164 form of a phone number ("+" and 8 to 15
// digits), dropping spaces, dashes, dots and parentheses, or "" if it is not
// one.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	p := b.String()
	if len(p) < 9 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return ""
	}
	return p
}

// indexes lists the unique index entries (kind, normalised value) of u.
func (u *User) indexes() [][2]string {
	var out [][2]string
	if u.Username != "" {
		out = append(out, [2]string{KindUsername, NormalizeUsername(u.Username)})
	}
	if u.PrimaryEmail != "" {
		// Stored already in NormalizeEmail's form (older users: trimmed and
		// lower-cased, which lower-casing again keeps).
		out = append(out, [2]string{KindEmail, strings.ToLower(u.PrimaryEmail)})
	}
	if u.PrimaryPhone != "" {
		out = append(out, [2]string{KindPhone, u.PrimaryPhone})
	}
	if len(u.WebAuthnHandle) > 0 {
		out = append(out, [2]string{KindHandle, b64(u.WebAuthnHandle)})
	}
	for _, c := range u.MFA.WebAuthn {
		out = append(out, [2]string{KindCredID, b64(c.ID)})
	}
	return out
}
