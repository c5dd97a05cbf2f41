package oidc

import "time"

// ScopeAccount asks for an access token the account API accepts: it adds
// the audience "<tenant origin>/v1".
const ScopeAccount = "account"

// Lifetimes of what the provider hands out. Codes follow RFC 6749 §4.1.2's
// "short lived"; access and ID tokens match Logto's defaults.
const (
	CodeTTL        = 60 * time.Second
	AccessTokenTTL = time.Hour
	IDTokenTTL     = time.Hour
	// RefreshTokenTTL is a refresh token's idle lifetime: each rotation
	// gives the new one this long, never past RefreshTokenMax from the
	// original sign-in.
	RefreshTokenTTL = 14 * 24 * time.Hour
	RefreshTokenMax = 90 * 24 * time.Hour
	// clockSkew is tolerated on token times and added to how long a
	// replaced signing key stays published.
	clockSkew = 5 * time.Minute
	// usedRefreshKept is how many rotated refresh tokens a grant remembers
	// to recognise reuse.
	usedRefreshKept = 8
)

// Config is what the provider needs to know besides its dependencies.
type Config struct {
	// AuthRequestTTL bounds how long a sign-in started at /oidc/auth may
	// take: the interaction lifetime.
	AuthRequestTTL time.Duration
}
