package oidc

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/tenant"
)

// storage is the library's op.Storage. The server overrides every endpoint
// that creates, reads or revokes codes and tokens (server.go), because
// Foyer mints its own; the library still calls the methods that look up
// and authenticate clients, verify id_token_hint (KeySet), describe
// algorithms for discovery, and end sessions. The rest refuse: they are
// reachable only through endpoints Foyer does not route.
type storage struct {
	p *Provider
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// errNotUsed answers the library paths Foyer replaces.
func errNotUsed() error {
	return oidc.ErrServerError().WithDescription("not supported by this provider")
}

// tenantOf is the tenant the host middleware resolved for this request.
func tenantOf(ctx context.Context) (*tenant.Tenant, error) {
	t := tenant.FromContext(ctx)
	if t == nil {
		return nil, oidc.ErrServerError().WithDescription("no tenant")
	}
	return t, nil
}

// storageErr turns a Redis failure into a 503 the library renders, without
// its cause; anything else is a 500 with no detail.
func storageErr(err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return op.NewStatusError(oidc.ErrServerError().WithDescription("temporarily unavailable; retry").WithParent(err),
			http.StatusServiceUnavailable)
	}
	return op.NewStatusError(oidc.ErrServerError().WithDescription("internal error").WithParent(err),
		http.StatusInternalServerError)
}

func (s *storage) app(ctx context.Context, clientID string) (*Application, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.p.apps.Lookup(ctx, t.ID, clientID)
	if errors.Is(err, ErrAppNotFound) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, storageErr(err)
	}
	return a, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	a, err := s.app(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return client{app: a}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	a, err := s.app(ctx, clientID)
	if err != nil {
		return err
	}
	if !a.CheckSecret(secret) {
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	}
	return nil
}

// ClientCredentials authenticates an m2m application for its grant.
func (s *storage) ClientCredentials(ctx context.Context, clientID, secret string) (op.Client, error) {
	a, err := s.app(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if !a.CheckSecret(secret) {
		return nil, oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	}
	if a.Type != TypeM2M {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client_credentials is for m2m applications")
	}
	return client{app: a}, nil
}

func (s *storage) ClientCredentialsTokenRequest(context.Context, string, []string) (op.TokenRequest, error) {
	return nil, errNotUsed()
}

// TerminateSessionFromRequest ends Foyer's login session (end_session).
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	return s.p.endSession(ctx, req)
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	sk, err := s.p.keys.Signer(ctx, t.ID, AlgRS256)
	if err != nil {
		return nil, storageErr(err)
	}
	return publicSigner{sk}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return jwtAlgs, nil
}

// KeySet serves the library's id_token_hint checks.
func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.p.keys.Published(ctx, t.ID)
	if err != nil {
		return nil, storageErr(err)
	}
	return keys, nil
}

func (s *storage) Health(ctx context.Context) error { return s.p.rdb.Ping(ctx).Err() }

// The library paths Foyer replaces (see the type's comment).

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errNotUsed()
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotUsed()
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotUsed()
}
func (s *storage) SaveAuthCode(context.Context, string, string) error { return errNotUsed() }
func (s *storage) DeleteAuthRequest(context.Context, string) error    { return errNotUsed() }
func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotUsed()
}
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotUsed()
}
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNotUsed()
}
func (s *storage) TerminateSession(context.Context, string, string) error { return errNotUsed() }
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithDescription("not supported by this provider")
}
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return errNotUsed()
}
func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotUsed()
}
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotUsed()
}
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, errNotUsed()
}
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotUsed()
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotUsed()
}
