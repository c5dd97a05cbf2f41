package interaction

import (
	"encoding/json"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/verification"
)

// Event is what an interaction is for.
type Event string

// The events of Logto's interaction API.
const (
	SignIn         Event = "SignIn"
	Register       Event = "Register"
	ForgotPassword Event = "ForgotPassword"
)

// Interaction is the stored document. Secrets never appear in it in clear:
// a password set in the profile is kept only as its argon2id hash.
type Interaction struct {
	TenantID  string    `json:"tenantId"`
	Event     Event     `json:"event"`
	CreatedAt time.Time `json:"createdAt"`
	// UserID is the user the first factor identified and verified.
	UserID string `json:"userId,omitempty"`
	// UserFactors are that user's MFA factors when identified, so that the
	// public state can say "mfa" is missing without reading the user.
	// Submit decides on the user's factors as they are then.
	UserFactors []string `json:"userFactors,omitempty"`
	// Verified lists what has been proven, in order: "password",
	// "passkey", ... It becomes the login session's methods.
	Verified []Verified `json:"verified,omitempty"`
	Profile  Profile    `json:"profile"`
	// MFAVerified is set when a second factor has been verified.
	MFAVerified bool `json:"mfaVerified,omitempty"`

	// Subject is the WebAuthn view of the user: the identified user's, or
	// for Register the handle the new user will get. Kept here so that
	// building options costs no user read.
	Subject *Subject `json:"subject,omitempty"`
	// Ceremony is the pending WebAuthn ceremony; the write that consumes
	// it removes it, so each challenge is used at most once.
	Ceremony *Ceremony `json:"ceremony,omitempty"`
	// PendingCredentials are bound by bind-mfa and stored on the user at
	// submit.
	PendingCredentials []account.Credential `json:"pendingCredentials,omitempty"`

	// Code is the pending one-time code (its hash, never the code).
	Code *verification.Code `json:"code,omitempty"`
	// TOTPSecret is a new TOTP secret, sealed, awaiting bind-mfa.
	TOTPSecret string `json:"totpSecret,omitempty"`
	// PendingTOTP is a bound TOTP factor, stored on the user at submit.
	PendingTOTP *account.TOTP `json:"pendingTotp,omitempty"`
	// BackupHashes are hashes of offered backup codes awaiting bind-mfa;
	// PendingBackupCodes are bound ones, stored on the user at submit.
	BackupHashes       []string `json:"backupHashes,omitempty"`
	PendingBackupCodes []string `json:"pendingBackupCodes,omitempty"`
	// MFASkipped records that the user skipped optional MFA binding.
	MFASkipped bool `json:"mfaSkipped,omitempty"`
	// Submitting marks an interaction claimed by a submit of an earlier
	// Foyer, which claimed before it deleted: every request treats it as
	// gone (decode). Submit now deletes the interaction at once
	// (session.Store.Take), so nothing sets it; it is read so that a
	// document claimed during an upgrade yields at most one submit.
	Submitting bool `json:"submitting,omitempty"`
	// AuthRequestID is the OpenID Connect authorization request this
	// interaction signs in for ("" when started by the API alone).
	AuthRequestID string `json:"authRequest,omitempty"`
}

// Subject is the WebAuthn user of the interaction.
type Subject struct {
	Handle []byte `json:"handle"`
	// Credentials are the user's existing credentials (ids and transports
	// only), for excludeCredentials and allowCredentials.
	Credentials []CredentialRef `json:"credentials,omitempty"`
}

// CredentialRef names a stored credential.
type CredentialRef struct {
	ID         []byte   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// Ceremony is a begun WebAuthn ceremony.
type Ceremony struct {
	Kind string `json:"kind"` // "registration" or "authentication"
	// Session is the verification package's session data, as returned. It
	// begins with the challenge, so it also names the ceremony (documents
	// written before this held the challenge a second time, in a
	// "challenge" member, which is now read past).
	Session json.RawMessage `json:"session"`
	// Conditional marks a registration begun for a conditional create: its
	// answer proves neither presence nor verification of the user.
	Conditional bool `json:"conditional,omitempty"`
}

// Verified is one proof: a method and the identifier it proved.
type Verified struct {
	Method string `json:"method"`
	Kind   string `json:"kind,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Profile is what a Register interaction will create, or what a sign-in
// must add.
type Profile struct {
	Username     string `json:"username,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	PasswordHash string `json:"passwordHash,omitempty"`
}

// State is the public view of an interaction, for hosted pages.
type State struct {
	Event Event `json:"event"`
	// Identified is true once a user is identified and verified.
	Identified bool `json:"identified"`
	// VerifiedIdentifiers are the identifiers proven so far.
	VerifiedIdentifiers []StateIdentifier `json:"verifiedIdentifiers"`
	Profile             StateProfile      `json:"profile"`
	// Missing says what submit still needs, in the order submit asks for
	// it (see requirements): "identifier", "username", "email", "phone",
	// "password", "mfa", "mfa-binding", "backup-codes".
	Missing []string `json:"missing"`
}

// StateIdentifier is a proven identifier in the public state.
type StateIdentifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// StateProfile is the profile without secrets.
type StateProfile struct {
	Username    string `json:"username,omitempty"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	PasswordSet bool   `json:"passwordSet"`
}

// switchEvent makes ix an interaction for ev. Every result an interaction
// holds was obtained for its event, and no event accepts another's:
//
//   - SignIn accepts an identification by password, by passkey or by a code
//     sent for SignIn, and second factors verified or bound for that user.
//   - Register identifies nobody: it accepts proofs of the profile's email
//     and phone by codes sent for Register, the profile, and the factors
//     bound for the user it will create (its own WebAuthn handle).
//   - ForgotPassword accepts only an identification by a code sent for
//     ForgotPassword, and a new password in the profile.
//
// A code and a pending WebAuthn ceremony belong to the event they were
// begun in too (a code carries its purpose), and a Register profile's email
// or phone stands on proofs that go. So nothing crosses: a change of event
// is a restart with the new event (ARCHITECTURE §9), keeping only what
// describes the interaction itself, its tenant and creation time (the
// absolute lifetime). Setting the same event again changes nothing, so a
// passkey or code answered through PUT /api/interaction keeps its
// challenge. handle is the WebAuthn handle a Register subject gets.
func (ix *Interaction) switchEvent(ev Event, handle []byte) {
	if ix.Event == ev {
		return
	}
	// The authorization request stays: switching from sign-in to sign-up
	// still signs in for the app that asked.
	*ix = Interaction{TenantID: ix.TenantID, CreatedAt: ix.CreatedAt, Event: ev, AuthRequestID: ix.AuthRequestID}
	if ev == Register {
		ix.Subject = &Subject{Handle: handle}
	}
}
