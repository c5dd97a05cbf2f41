package oidc

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/session"
)

// Provider is the OpenID Provider of every tenant.
type Provider struct {
	cfg          Config
	rdb          redis.UniversalClient
	hot          redis.Cmdable // Deps.Hot
	apps         *Applications
	keys         *Keys
	logins       *session.Logins
	accounts     *account.Store
	interactions *interaction.Service
	now          func() time.Time

	op      *op.Provider
	handler http.Handler // the library's router, our server behind it
}

// Deps are the provider's dependencies.
type Deps struct {
	Redis redis.UniversalClient
	// Hot is a batching face of Redis (package internal/batch), for the
	// single commands, scripts and pipelines of the token endpoints; nil
	// means Redis.
	Hot          redis.Cmdable
	Applications *Applications
	Keys         *Keys
	Logins       *session.Logins
	Accounts     *account.Store
	Interactions *interaction.Service
	// SecretKey is FOYER_SECRET_KEY; the library's own encryption key (which
	// Foyer's tokens never use) is derived from it.
	SecretKey []byte
	Now       func() time.Time
}

// endpoints are the paths under the issuer (discovery is the library's
// /.well-known/openid-configuration, the callback "auth/callback").
var endpoints = op.Endpoints{
	Authorization: op.NewEndpoint("auth"),
	Token:         op.NewEndpoint("token"),
	Introspection: op.NewEndpoint("introspect"),
	Userinfo:      op.NewEndpoint("userinfo"),
	Revocation:    op.NewEndpoint("revoke"),
	EndSession:    op.NewEndpoint("end_session"),
	JwksURI:       op.NewEndpoint("keys"),
}

// New builds the provider.
func New(cfg Config, d Deps) (*Provider, error) {
	if d.Hot == nil {
		d.Hot = d.Redis
	}
	p := &Provider{cfg: cfg, rdb: d.Redis, hot: d.Hot, apps: d.Applications, keys: d.Keys, logins: d.Logins,
		accounts: d.Accounts, interactions: d.Interactions, now: d.Now}
	// The library encrypts its own opaque codes and tokens with this key;
	// Foyer mints its own (random codes, JWTs), so it is only ever a
	// derived, separate key, never FOYER_SECRET_KEY itself.
	derived, err := hkdf.Key(sha256.New, d.SecretKey, nil, "foyer oidc library crypto", 32)
	if err != nil {
		return nil, fmt.Errorf("oidc: derive key: %w", err)
	}
	conf := &op.Config{
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		DefaultLogoutRedirectURI: "/",
	}
	copy(conf.CryptoKey[:], derived)
	p.op, err = op.NewProvider(conf, &storage{p: p}, func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string { return exchangeFrom(r.Context()).issuer }, nil
	},
		op.WithCustomAuthEndpoint(endpoints.Authorization),
		op.WithCustomTokenEndpoint(endpoints.Token),
		op.WithCustomIntrospectionEndpoint(endpoints.Introspection),
		op.WithCustomUserinfoEndpoint(endpoints.Userinfo),
		op.WithCustomRevocationEndpoint(endpoints.Revocation),
		op.WithCustomEndSessionEndpoint(endpoints.EndSession),
		op.WithCustomKeysEndpoint(endpoints.JwksURI),
		op.WithCORSOptions(nil), // the library's default reflects any origin with credentials
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(string(jose.RS256), string(jose.ES256))),
	)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider: %w", err)
	}
	srv := &server{LegacyServer: op.NewLegacyServer(p.op, endpoints), p: p}
	p.handler = op.RegisterLegacyServer(srv, p.callback, op.WithServerCORSOptions(nil))
	return p, nil
}

// exchange carries what the Fiber side knows into the library's handlers
// and what they decide back out: cookies are set with the interaction
// package's own helpers once the handler returns.
type exchange struct {
	issuer  string
	loginID string // the login-session cookie, "" if none
	// Out: an interaction to set the cookie of, and whether to clear the
	// login-session cookie.
	interactionID string
	clearLogin    bool
}

type exchangeKey struct{}

func withExchange(ctx context.Context, ex *exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, ex)
}

func exchangeFrom(ctx context.Context) *exchange {
	if ex, ok := ctx.Value(exchangeKey{}).(*exchange); ok {
		return ex
	}
	return &exchange{issuer: op.IssuerFromContext(ctx)}
}

// issuer is the tenant's issuer for a request: https://<Host>/oidc, or in
// dev mode the request's own scheme.
func issuer(host string, dev bool, scheme string) string {
	if !dev || scheme != "http" {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(host) + "/oidc"
}
