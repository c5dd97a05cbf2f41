package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
)

// userSnapshot is what the provider says about a user, taken when the user
// signs in (for the code exchange) or read again (refresh, userinfo).
type userSnapshot struct {
	Username      string `json:"username,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"emailVerified,omitempty"`
	Phone         string `json:"phone,omitempty"`
	PhoneVerified bool   `json:"phoneVerified,omitempty"`
	UpdatedAt     int64  `json:"updatedAt,omitempty"`
}

// snapshot takes u's claims. Foyer keeps no per-address proof flag yet: an
// address counts as verified when the tenant makes sign-up prove it by a
// one-time code (settings.signUp.verify).
func snapshot(t *tenant.Tenant, u *account.User) userSnapshot {
	proven := t.Settings.SignUp.Verify
	return userSnapshot{
		Username: u.Username,
		Email:    u.PrimaryEmail, EmailVerified: proven && u.PrimaryEmail != "",
		Phone: u.PrimaryPhone, PhoneVerified: proven && u.PrimaryPhone != "",
		UpdatedAt: u.UpdatedAt.Unix(),
	}
}

// UserClaims are the OpenID standard claims Foyer releases, by scope
// (OIDC Core §5.4): profile gives preferred_username and updated_at (name
// and picture when Foyer knows them; it does not yet), email gives email and
// email_verified, phone gives phone_number and phone_number_verified.
type UserClaims struct {
	Name                string `json:"name,omitempty"`
	PreferredUsername   string `json:"preferred_username,omitempty"`
	Picture             string `json:"picture,omitempty"`
	UpdatedAt           int64  `json:"updated_at,omitempty"`
	Email               string `json:"email,omitempty"`
	EmailVerified       *bool  `json:"email_verified,omitempty"`
	PhoneNumber         string `json:"phone_number,omitempty"`
	PhoneNumberVerified *bool  `json:"phone_number_verified,omitempty"`
}

// claimsFor filters a snapshot by the granted scopes.
func claimsFor(u userSnapshot, scopes []string) UserClaims {
	var c UserClaims
	if slices.Contains(scopes, "profile") {
		c.PreferredUsername, c.UpdatedAt = u.Username, u.UpdatedAt
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		v := u.EmailVerified
		c.Email, c.EmailVerified = u.Email, &v
	}
	if slices.Contains(scopes, "phone") && u.Phone != "" {
		v := u.PhoneVerified
		c.PhoneNumber, c.PhoneNumberVerified = u.Phone, &v
	}
	return c
}

// amr names how the user signed in, in RFC 8176's vocabulary. Passkeys and
// WebAuthn security keys are "hwk": the authenticator keeps the private key
// (platform authenticators and security keys hold it in hardware; Foyer
// cannot tell a synced software passkey apart, and says hwk for both). Two
// or more different factors add "mfa".
func amr(methods []string) []string {
	out := []string{}
	add := func(v string) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, m := range methods {
		switch m {
		case "password":
			add("pwd")
		case "emailCode", "phoneCode", "totp", "backupCode":
			add("otp")
		case "passkey", "webauthn":
			add("hwk")
		}
	}
	if len(out) >= 2 {
		add("mfa")
	}
	return out
}

// sidOf is the "sid" claim of a login session: derived from the session
// id, which is the cookie's secret and must never leave the server.
func sidOf(loginID string) string {
	if loginID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("foyer-sid:" + loginID))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// loginResult is who signed in for an authorization request, and how.
type loginResult struct {
	Subject  string       `json:"sub"`
	AuthTime time.Time    `json:"authTime"`
	AMR      []string     `json:"amr"`
	SID      string       `json:"sid"`
	User     userSnapshot `json:"user"`
}
