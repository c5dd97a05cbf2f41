package oidc

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client adapts an Application to the library's op.Client.
type client struct {
	app *Application
}

var _ op.Client = client{}

func (c client) GetID() string                    { return c.app.ID }
func (c client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.app.PostLogoutRedirectURIs }

func (c client) ApplicationType() op.ApplicationType {
	switch c.app.Type {
	case TypeSPA:
		return op.ApplicationTypeUserAgent
	case TypeNative:
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

// AuthMethod: public clients send no secret; confidential ones may send
// theirs in the Basic header or the form (client_secret_basic and _post).
func (c client) AuthMethod() oidc.AuthMethod {
	if c.app.Confidential() {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodNone
}

func (c client) ResponseTypes() []oidc.ResponseType {
	if c.app.Type == TypeM2M {
		return nil
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c client) GrantTypes() []oidc.GrantType {
	if c.app.Type == TypeM2M {
		return []oidc.GrantType{oidc.GrantTypeClientCredentials}
	}
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

// LoginURL is never used: Authorize answers itself (see server.Authorize).
func (c client) LoginURL(string) string { return "/sign-in" }

func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c client) IDTokenLifetime() time.Duration      { return IDTokenTTL }

// DevMode, in the library, lets an http redirect URI through after it
// matched a registered one exactly. Registration already allows http only
// on loopback hosts (Application.validate), so every registered URI that
// matches is acceptable.
func (c client) DevMode() bool { return true }

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed admits scopes beyond the OpenID ones: "account" for apps
// with users, and an m2m app's granted scopes. Others are dropped from the
// request (the library's ValidateAuthReqScopes).
func (c client) IsScopeAllowed(scope string) bool {
	if scope == ScopeAccount {
		return c.app.Type != TypeM2M
	}
	return slices.Contains(c.app.Scopes, scope)
}

// IDTokenUserinfoClaimsAssertion puts profile claims in the ID token, where
// Logto's SDK reads them.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c client) ClockSkew() time.Duration             { return 0 }
