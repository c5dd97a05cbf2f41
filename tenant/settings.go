package tenant

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
	SignInRedirectURI string   `json:"signInRedirectUri" validate:"omitempty,http_url"`
	SignUp            SignUp   `json:"signUp"`
	Password          Password `json:"password"`
	MFA               MFA      `json:"mfa"`
}

// SignUp says which profile fields a Register interaction must provide.
type SignUp struct {
	Identifiers []string `json:"identifiers" validate:"max=3,unique,dive,oneof=username email phone"`
	Password    bool     `json:"password"`
}

// Password is the tenant's password policy.
type Password struct {
	// MinScore is the lowest zxcvbn score (0-4) a new password may have.
	MinScore int `json:"minScore" validate:"min=0,max=4"`
}

// MFA is the tenant's multi-factor policy.
type MFA struct {
	Policy string `json:"policy" validate:"oneof=off prompt mandatory"`
}

// DefaultSettings are what a new tenant starts with.
func DefaultSettings() Settings {
	return Settings{
		Origins:           []string{},
		SignInRedirectURI: "/",
		SignUp:            SignUp{Identifiers: []string{"username"}, Password: true},
		Password:          Password{MinScore: 2},
		MFA:               MFA{Policy: "prompt"},
	}
}
