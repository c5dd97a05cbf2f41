package oidc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
)

// Application types (the "type" of an OAuth client).
const (
	TypeSPA    = "spa"    // browser app: public client, code + PKCE S256
	TypeNative = "native" // mobile or desktop app: public client, code + PKCE S256
	TypeWeb    = "web"    // server-side app: confidential client (secret)
	TypeM2M    = "m2m"    // machine to machine: client_credentials only
)

// Signing algorithms an application may ask for. RS256 is what OIDC Core
// requires every client to accept, so it is the default.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// Application is an OAuth client of one tenant, as stored.
type Application struct {
	ID                     string    `json:"id"`
	TenantID               string    `json:"tenantId"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	RedirectURIs           []string  `json:"redirectUris"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	CORSOrigins            []string  `json:"corsOrigins,omitempty"` // nil: derived (EffectiveCORSOrigins)
	Scopes                 []string  `json:"scopes,omitempty"`      // m2m: what client_credentials may grant
	SigningAlg             string    `json:"signingAlg"`
	SecretHash             string    `json:"secretHash,omitempty"` // hex SHA-256 of the secret
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
}

// Confidential reports whether the application authenticates with a secret.
func (a *Application) Confidential() bool { return a.Type == TypeWeb || a.Type == TypeM2M }

// EffectiveCORSOrigins are the browser origins allowed to call the token,
// userinfo, keys, revoke and discovery endpoints for this application: the
// configured list, or for an SPA the origins of its redirect URIs.
func (a *Application) EffectiveCORSOrigins() []string {
	if a.CORSOrigins != nil {
		return a.CORSOrigins
	}
	out := []string{}
	if a.Type != TypeSPA {
		return out
	}
	for _, r := range a.RedirectURIs {
		if u, err := url.Parse(r); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// CheckSecret compares a presented secret with the stored hash in constant
// time. A 256-bit random secret needs no slow hash: SHA-256 cannot be
// brute-forced back to it.
func (a *Application) CheckSecret(secret string) bool {
	if a.SecretHash == "" || secret == "" {
		return false
	}
	got := sha256.Sum256([]byte(secret))
	want, err := hex.DecodeString(a.SecretHash)
	return err == nil && subtle.ConstantTimeCompare(got[:], want) == 1
}

// newSecret returns a fresh 256-bit secret and its stored hash.
func newSecret() (secret, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(sum[:])
}

// newClientID returns a random client id: 128 bits, lower-case base32 (26
// characters), safe in URLs and Basic credentials.
func newClientID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ApplicationInput is the body of POST .../applications.
type ApplicationInput struct {
	Name                   string   `json:"name" validate:"required,min=1,max=128"`
	Type                   string   `json:"type" validate:"required,oneof=spa web native m2m"`
	RedirectURIs           []string `json:"redirectUris" validate:"max=32,unique,dive,min=1,max=2048"`
	PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris" validate:"max=32,unique,dive,min=1,max=2048"`
	CORSOrigins            []string `json:"corsOrigins" validate:"omitempty,max=32,unique,dive,min=1,max=512"`
	Scopes                 []string `json:"scopes" validate:"max=32,unique,dive,min=1,max=128"`
	SigningAlg             string   `json:"signingAlg" validate:"omitempty,oneof=RS256 ES256"`
}

// ApplicationPatch is the body of PATCH .../applications/{appId}: each
// field given replaces the stored one; the type never changes.
type ApplicationPatch struct {
	Name                   *string   `json:"name" validate:"omitempty,min=1,max=128"`
	RedirectURIs           *[]string `json:"redirectUris" validate:"omitempty,max=32,unique,dive,min=1,max=2048"`
	PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris" validate:"omitempty,max=32,unique,dive,min=1,max=2048"`
	CORSOrigins            *[]string `json:"corsOrigins" validate:"omitempty,max=32,unique,dive,min=1,max=512"`
	Scopes                 *[]string `json:"scopes" validate:"omitempty,max=32,unique,dive,min=1,max=128"`
	SigningAlg             *string   `json:"signingAlg" validate:"omitempty,oneof=RS256 ES256"`
}

// apply copies the given fields onto a.
func (p *ApplicationPatch) apply(a *Application) {
	if p.Name != nil {
		a.Name = *p.Name
	}
	if p.RedirectURIs != nil {
		a.RedirectURIs = *p.RedirectURIs
	}
	if p.PostLogoutRedirectURIs != nil {
		a.PostLogoutRedirectURIs = *p.PostLogoutRedirectURIs
	}
	if p.CORSOrigins != nil {
		a.CORSOrigins = *p.CORSOrigins
	}
	if p.Scopes != nil {
		a.Scopes = *p.Scopes
	}
	if p.SigningAlg != nil && *p.SigningAlg != "" {
		a.SigningAlg = *p.SigningAlg
	}
}

// ApplicationView is an application as the admin API shows it. Secret is
// set only in the answer that created or rotated it.
type ApplicationView struct {
	ID                     string    `json:"id"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	RedirectURIs           []string  `json:"redirectUris"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	CORSOrigins            []string  `json:"corsOrigins"`
	Scopes                 []string  `json:"scopes"`
	SigningAlg             string    `json:"signingAlg"`
	CreatedAt              time.Time `json:"createdAt"`
	UpdatedAt              time.Time `json:"updatedAt"`
	Secret                 string    `json:"secret,omitempty"`
}

// View returns the admin API's view of a.
func (a *Application) View() ApplicationView {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return ApplicationView{
		ID: a.ID, Name: a.Name, Type: a.Type,
		RedirectURIs: orEmpty(a.RedirectURIs), PostLogoutRedirectURIs: orEmpty(a.PostLogoutRedirectURIs),
		CORSOrigins: a.EffectiveCORSOrigins(), Scopes: orEmpty(a.Scopes), SigningAlg: a.SigningAlg,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

// scopeToken is RFC 6749 §3.3's scope-token.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`)

// validate checks the rules the validator tags cannot express, naming the
// first broken field: redirect URIs are absolute, https except for
// loopback http, custom schemes only for native apps; an m2m app has no
// redirect URIs and only it has scopes.
func (a *Application) validate() error {
	if a.Type != TypeM2M && len(a.RedirectURIs) == 0 {
		return httpx.InvalidField("redirectUris", "required", "")
	}
	if a.Type == TypeM2M {
		if len(a.RedirectURIs) > 0 {
			return httpx.InvalidField("redirectUris", "excluded_with_type", TypeM2M)
		}
		if len(a.PostLogoutRedirectURIs) > 0 {
			return httpx.InvalidField("postLogoutRedirectUris", "excluded_with_type", TypeM2M)
		}
	} else if len(a.Scopes) > 0 {
		return httpx.InvalidField("scopes", "m2m_only", "")
	}
	for i, r := range a.RedirectURIs {
		if !validRedirectURI(r, a.Type == TypeNative) {
			return httpx.InvalidField("redirectUris["+strconv.Itoa(i)+"]", "redirect_uri", redirectRule)
		}
	}
	for i, r := range a.PostLogoutRedirectURIs {
		if !validRedirectURI(r, a.Type == TypeNative) {
			return httpx.InvalidField("postLogoutRedirectUris["+strconv.Itoa(i)+"]", "redirect_uri", redirectRule)
		}
	}
	for i, o := range a.CORSOrigins {
		if !validOrigin(o) {
			return httpx.InvalidField("corsOrigins["+strconv.Itoa(i)+"]", "origin", "https://host[:port] or http://localhost[:port]")
		}
	}
	for i, s := range a.Scopes {
		if !scopeToken.MatchString(s) || isOIDCScope(s) {
			return httpx.InvalidField("scopes["+strconv.Itoa(i)+"]", "scope", "scope-token, not an OpenID scope")
		}
	}
	return nil
}

const redirectRule = "absolute https URL, http://localhost or http://127.0.0.1, custom scheme for native apps; no fragment"

// validRedirectURI applies Foyer's redirect URI policy (RFC 6749 §3.1.2,
// RFC 8252 §7): absolute, no fragment, no user info; https anywhere; http
// only on loopback hosts; a custom scheme only for native apps.
func validRedirectURI(raw string, native bool) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" || strings.Contains(raw, "#") || u.User != nil || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != "" && u.Hostname() != ""
	case "http":
		return isLoopback(u.Hostname())
	case "":
		return false
	}
	if !native {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss":
		return false
	}
	return true
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1"
}

// validOrigin accepts a bare origin: https://host[:port], or http on a
// loopback host.
func validOrigin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Host == "" {
		return false
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && port == "" {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname()))
}

func isOIDCScope(s string) bool {
	switch s {
	case "openid", "profile", "email", "phone", "address", "offline_access", ScopeAccount:
		return true
	}
	return false
}
