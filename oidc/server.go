package oidc

import (
	"context"
	"net/http"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// server is the library's LegacyServer with the endpoints Foyer answers
// itself: discovery and keys (per tenant), authorize (the interaction
// bridge), the token grants (single-use codes, rotated refresh tokens, ID
// tokens with a string aud), userinfo, introspection and revocation (JWT
// access tokens, grants in Redis). Request parsing, client authentication,
// redirect URI and prompt checks, id_token_hint and end_session checks, and
// error rendering stay the library's.
type server struct {
	*op.LegacyServer
	p *Provider
}

var _ op.ExtendedLegacyServer = (*server)(nil)

func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	return s.p.authorize(ctx, r)
}

func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	resp, err := s.p.exchangeCode(ctx, r.Client.(client).app, r.Data)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	resp, err := s.p.refresh(ctx, r.Client.(client).app, r.Data)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	resp, err := s.p.clientCredentials(ctx, r.Client.(client).app, r.Data.Scope)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

// JWTProfile: the library always routes the jwt-bearer grant; Foyer does
// not offer it.
func (s *server) JWTProfile(context.Context, *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("jwt-bearer is not supported")
}

func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	info, err := s.p.userinfo(ctx, r.Data.AccessToken)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(info), nil
}

func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	cc := r.Data.ClientCredentials
	if cc.ClientAssertion != "" {
		return nil, oidc.ErrInvalidClient().WithDescription("client_assertion is not supported")
	}
	if err := s.p.op.Storage().AuthorizeClientIDSecret(ctx, cc.ClientID, cc.ClientSecret); err != nil {
		return nil, op.NewStatusError(err, http.StatusUnauthorized)
	}
	resp, err := s.p.introspect(ctx, r.Data.Token)
	if err != nil {
		return nil, err
	}
	return op.NewResponse(resp), nil
}

func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	if err := s.p.revoke(ctx, r.Client.(client).app, r.Data.Token); err != nil {
		return nil, err
	}
	return op.NewResponse(nil), nil
}

// Keys serves the tenant's published keys (cached in process).
func (s *server) Keys(ctx context.Context, _ *op.Request[struct{}]) (*op.Response, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.p.keys.Published(ctx, t.ID)
	if err != nil {
		return nil, storageErr(err)
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = jose.JSONWebKey{KeyID: k.ID(), Algorithm: string(k.Algorithm()), Use: k.Use(), Key: k.Key()}
	}
	return op.NewResponse(set), nil
}

// Discovery describes exactly what Foyer serves (OpenID Connect Discovery
// 1.0 §3): the library's own document would also list the implicit flow,
// jwt-bearer and device endpoints, which Foyer does not offer.
func (s *server) Discovery(ctx context.Context, _ *op.Request[struct{}]) (*op.Response, error) {
	iss := op.IssuerFromContext(ctx)
	basicPost := []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
	return op.NewResponse(&oidc.DiscoveryConfiguration{
		Issuer:                                    iss,
		AuthorizationEndpoint:                     endpoints.Authorization.Absolute(iss),
		TokenEndpoint:                             endpoints.Token.Absolute(iss),
		IntrospectionEndpoint:                     endpoints.Introspection.Absolute(iss),
		UserinfoEndpoint:                          endpoints.Userinfo.Absolute(iss),
		RevocationEndpoint:                        endpoints.Revocation.Absolute(iss),
		EndSessionEndpoint:                        endpoints.EndSession.Absolute(iss),
		JwksURI:                                   endpoints.JwksURI.Absolute(iss),
		ScopesSupported:                           []string{"openid", "profile", "email", "phone", "offline_access", ScopeAccount},
		ResponseTypesSupported:                    []string{string(oidc.ResponseTypeCode)},
		ResponseModesSupported:                    []string{string(oidc.ResponseModeQuery)},
		GrantTypesSupported:                       []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          []string{string(jose.RS256), string(jose.ES256)},
		TokenEndpointAuthMethodsSupported:         []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost},
		RevocationEndpointAuthMethodsSupported:    []oidc.AuthMethod{oidc.AuthMethodNone, oidc.AuthMethodBasic, oidc.AuthMethodPost},
		IntrospectionEndpointAuthMethodsSupported: basicPost,
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid", "amr",
			"preferred_username", "updated_at", "email", "email_verified", "phone_number", "phone_number_verified"},
		CodeChallengeMethodsSupported: []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256},
		ClaimTypesSupported:           []string{"normal"},
		RequestParameterSupported:     false,
		RequestURIParameterSupported:  false,
	}), nil
}
