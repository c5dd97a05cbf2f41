package tenant

import (
	"slices"

	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/internal/httpx"
)

// Settings are a tenant's own choices. Every field has a default
// (DefaultSettings), and the admin API validates changes with the tags here.
type Settings struct {
	DisplayName string `json:"displayName" validate:"max=128"`
	// RPID overrides the WebAuthn relying-party id (a registrable parent of
	// the tenant's hosts). Empty means the tenant's first host.
	RPID string `json:"rpId" validate:"omitempty,max=253,hostname_rfc1123"`
	// Origins are extra exact browser origins (scheme://host[:port]) allowed
	// for CSRF and WebAuthn checks.
	Origins           []string `json:"origins" validate:"max=32,dive,http_url"`
	SignInRedirectURI string   `json:"signInRedirectUri" validate:"omitempty,max=2048,redirect_uri"`
	SignUp            SignUp   `json:"signUp"`
	Password          Password `json:"password"`
	MFA               MFA      `json:"mfa"`
	Passkey           Passkey  `json:"passkey"`
	// SignInAfterReset signs the user in when a ForgotPassword interaction
	// submits; by default a reset signs nobody in.
	SignInAfterReset bool       `json:"signInAfterReset"`
	Connectors       Connectors `json:"connectors"`
	// RelatedOrigins are https origins on other domains whose pages may run
	// WebAuthn ceremonies for this tenant's RP ID (W3C WebAuthn L3 §5.11,
	// Related Origin Requests); GET /.well-known/webauthn on the RP ID host
	// lists them. Browsers honour at most five registrable domains.
	RelatedOrigins []string `json:"relatedOrigins" validate:"max=16,unique,dive,max=256"`
	Branding       Branding `json:"branding"`
	Audit          Audit    `json:"audit"`
	// ReauthMaxAge is how recent a sign-in must be, in seconds, for the
	// account API's sensitive changes (removing a factor, new backup
	// codes, a new password, a personal access token).
	ReauthMaxAge int `json:"reauthMaxAge" validate:"min=1,max=86400"`
}

// Branding is how the hosted sign-in pages look for the tenant. Empty
// fields fall back to Foyer's own look; the pages follow the browser's
// prefers-color-scheme, with DarkPrimaryColor (or a lighter PrimaryColor)
// in dark mode.
type Branding struct {
	LogoURL          string `json:"logoUrl" validate:"omitempty,max=2048,http_url"`
	DarkLogoURL      string `json:"darkLogoUrl" validate:"omitempty,max=2048,http_url"`
	PrimaryColor     string `json:"primaryColor" validate:"omitempty,len=7,hexcolor"`
	DarkPrimaryColor string `json:"darkPrimaryColor" validate:"omitempty,len=7,hexcolor"`
	TermsURL         string `json:"termsUrl" validate:"omitempty,max=2048,http_url"`
	PrivacyURL       string `json:"privacyUrl" validate:"omitempty,max=2048,http_url"`
}

// Audit bounds the tenant's audit trail: entries beyond MaxEntries, or
// older than RetentionDays, are trimmed.
type Audit struct {
	MaxEntries    int64 `json:"maxEntries" validate:"min=100,max=1000000"`
	RetentionDays int   `json:"retentionDays" validate:"min=1,max=3650"`
}

// DefaultAudit is the audit retention of a tenant that sets none.
var DefaultAudit = Audit{MaxEntries: 100000, RetentionDays: 90}

// Connectors say how one-time codes reach people. "log" prints codes on
// the server log and is only honoured in dev mode; "none" disables the
// channel (in dev mode it falls back to "log").
type Connectors struct {
	Email EmailConnector `json:"email"`
	SMS   SMSConnector   `json:"sms"`
}

// EmailConnector delivers codes by email.
type EmailConnector struct {
	Type string                `json:"type" validate:"oneof=none log smtp"`
	SMTP *connector.SMTPConfig `json:"smtp,omitempty" validate:"required_if=Type smtp,omitempty"`
}

// SMSConnector delivers codes by text message, through a signed webhook.
type SMSConnector struct {
	Type    string                   `json:"type" validate:"oneof=none log webhook"`
	Webhook *connector.WebhookConfig `json:"webhook,omitempty" validate:"required_if=Type webhook,omitempty"`
}

// Passkey are the tenant's WebAuthn preferences, sent in the options of
// every ceremony (W3C WebAuthn L3 §5.4).
type Passkey struct {
	// PubKeyCredParams lists COSE algorithms in order of preference.
	PubKeyCredParams        []int64          `json:"pubKeyCredParams" validate:"min=1,max=9,unique,dive,oneof=-7 -8 -36 -37 -38 -39 -257 -258 -259"`
	ResidentKey             string           `json:"residentKey" validate:"oneof=discouraged preferred required"`
	UserVerification        string           `json:"userVerification" validate:"oneof=required preferred discouraged"`
	AuthenticatorAttachment string           `json:"authenticatorAttachment" validate:"omitempty,oneof=platform cross-platform"`
	Attestation             string           `json:"attestation" validate:"oneof=none indirect direct enterprise"`
	Timeout                 int              `json:"timeout" validate:"min=10000,max=600000"`
	Hints                   []string         `json:"hints" validate:"max=3,unique,dive,oneof=security-key client-device hybrid"`
	Extensions              PasskeyExtension `json:"extensions"`
	// Passwordless lets a Register interaction bind a passkey as the
	// account's only credential.
	Passwordless bool `json:"passwordless"`
}

// PasskeyExtension are the registration extensions a tenant asks for.
type PasskeyExtension struct {
	CredProps        bool `json:"credProps"`
	HMACCreateSecret bool `json:"hmacCreateSecret"`
}

// SignUp says which profile fields a Register interaction must provide.
type SignUp struct {
	Identifiers []string `json:"identifiers" validate:"max=3,unique,dive,oneof=username email phone"`
	Password    bool     `json:"password"`
	// Verify makes an email or phone in a sign-up profile count only once
	// proven by a one-time code.
	Verify bool `json:"verify"`
}

// Password is the tenant's password policy.
type Password struct {
	// MinScore is the lowest zxcvbn score (0-4) a new password may have.
	MinScore int `json:"minScore" validate:"min=0,max=4"`
}

// MFA is the tenant's multi-factor policy.
type MFA struct {
	Policy string `json:"policy" validate:"oneof=off prompt mandatory"`
	// BackupCodes: binding a first factor also asks for backup codes
	// (submit answers session.mfa.backup_code_required until they are bound).
	BackupCodes bool `json:"backupCodes"`
}

// DefaultSettings are what a new tenant starts with.
func DefaultSettings() Settings {
	return Settings{
		Origins:           []string{},
		SignInRedirectURI: "/",
		SignUp:            SignUp{Identifiers: []string{"username"}, Password: true},
		Password:          Password{MinScore: 2},
		MFA:               MFA{Policy: "off"},
		Passkey: Passkey{
			PubKeyCredParams: []int64{-8, -7, -257},
			ResidentKey:      "preferred",
			UserVerification: "preferred",
			Attestation:      "none",
			Timeout:          300000,
			Hints:            []string{},
			Extensions:       PasskeyExtension{CredProps: true},
		},
		Connectors:     Connectors{Email: EmailConnector{Type: "none"}, SMS: SMSConnector{Type: "none"}},
		RelatedOrigins: []string{},
		Audit:          DefaultAudit,
		ReauthMaxAge:   600,
	}
}

// Normalize replaces absent lists with empty ones, so that a client that
// sent null reads back [] rather than null.
func (s *Settings) Normalize() {
	if s.Origins == nil {
		s.Origins = []string{}
	}
	if s.SignUp.Identifiers == nil {
		s.SignUp.Identifiers = []string{}
	}
	if s.Passkey.Hints == nil {
		s.Passkey.Hints = []string{}
	}
	if s.RelatedOrigins == nil {
		s.RelatedOrigins = []string{}
	}
}

// CheckSignUp refuses a sign-up setting that would create accounts nobody can
// sign in to: an account needs something to be named by (an identifier, or
// a passkey that names itself), and a credential (a password, an email or
// phone that one-time codes can prove, or a password-less passkey).
// Field names are relative to the settings object.
func (s *Settings) CheckSignUp() error {
	passkey := s.Passkey.Passwordless
	if len(s.SignUp.Identifiers) == 0 && !passkey {
		return httpx.InvalidField("signUp.identifiers", "required_without", "passkey.passwordless")
	}
	codes := slices.Contains(s.SignUp.Identifiers, "email") || slices.Contains(s.SignUp.Identifiers, "phone")
	if !s.SignUp.Password && !passkey && !codes {
		return httpx.InvalidField("signUp.password", "required_without_all", "signUp.identifiers=email|phone passkey.passwordless")
	}
	return nil
}
