package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/foyer-auth/foyer/tenant"
)

// ErrInvalidToken: an access token that is malformed, not signed by the
// tenant's keys, expired, or meant for another tenant or audience.
var ErrInvalidToken = errors.New("oidc: invalid access token")

// tokenLeeway tolerates clock differences between replicas on exp and iat.
const tokenLeeway = 30 * time.Second

// VerifyAccessToken checks an access token of tenant t in process: its
// signature against the tenant's published keys (cached, so no Redis round
// trip once warm), typ at+jwt, issuer (one of the tenant's), tenant claim,
// expiry and, unless audience is "", that audience is among its audiences
// (the account API passes AccountAudience of its origin).
//
// It does not see revocations: an access token revoked at /oidc/revoke, or
// whose grant was revoked, still verifies here until it expires (at most
// AccessTokenTTL). Userinfo and introspection also check Redis for that.
func (p *Provider) VerifyAccessToken(ctx context.Context, t *tenant.Tenant, token, audience string) (*AccessClaims, error) {
	c, err := p.verifyAccess(ctx, t, token)
	if err != nil {
		return nil, err
	}
	if now := p.now(); now.After(time.Unix(c.Expiry, 0).Add(tokenLeeway)) {
		return nil, ErrInvalidToken
	}
	if audience != "" && !slices.Contains(c.Audience, audience) {
		return nil, ErrInvalidToken
	}
	return c, nil
}

// verifyAccess checks everything but expiry and audience (revocation of an
// expired token is a no-op, not an error).
func (p *Provider) verifyAccess(ctx context.Context, t *tenant.Tenant, token string) (*AccessClaims, error) {
	if t == nil || len(token) > 8192 {
		return nil, ErrInvalidToken
	}
	jws, err := jose.ParseSignedCompact(token, jwtAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, ErrInvalidToken
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" {
		return nil, ErrInvalidToken
	}
	sk, err := p.keys.Public(ctx, t.ID, h.KeyID)
	if errors.Is(err, ErrNoKey) {
		return nil, ErrInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if string(sk.Algorithm()) != h.Algorithm {
		return nil, ErrInvalidToken
	}
	payload, err := jws.Verify(sk.priv.Public())
	if err != nil {
		return nil, ErrInvalidToken
	}
	var c AccessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, ErrInvalidToken
	}
	if c.Tenant != t.ID || !issuerOK(c.Issuer, t.Hosts, t.Dev) || c.JTI == "" || c.ClientID == "" {
		return nil, ErrInvalidToken
	}
	if time.Unix(c.IssuedAt, 0).After(p.now().Add(tokenLeeway)) {
		return nil, ErrInvalidToken
	}
	return &c, nil
}
