package oidc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/account"
)

// Userinfo is the userinfo answer (OIDC Core §5.3.2): sub and the claims
// of the token's scopes.
type Userinfo struct {
	Subject string `json:"sub"`
	UserClaims
}

// invalidToken is RFC 6750 §3.1's invalid_token, as a 401.
func invalidToken(desc string) error {
	return op.NewStatusError(&oidc.Error{ErrorType: "invalid_token", Description: desc}, http.StatusUnauthorized)
}

// userinfo checks the access token in process, then in one round trip that
// neither it nor its grant was revoked, and reads the user.
func (p *Provider) userinfo(ctx context.Context, token string) (*Userinfo, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.VerifyAccessToken(ctx, t, token, "")
	if errors.Is(err, ErrInvalidToken) {
		return nil, invalidToken("access token is invalid or expired")
	}
	if err != nil {
		return nil, storageErr(err)
	}
	if c.Grant == "" || !c.HasScope(oidc.ScopeOpenID) {
		return nil, op.NewStatusError(&oidc.Error{ErrorType: "insufficient_scope",
			Description: "userinfo needs a user's token with the openid scope"}, http.StatusForbidden)
	}
	active, err := p.accessActive(ctx, t.ID, c)
	if err != nil {
		return nil, storageErr(err)
	}
	if !active {
		return nil, invalidToken("access token is revoked")
	}
	u, err := p.accounts.Get(ctx, t.ID, c.Subject)
	if errors.Is(err, account.ErrNotFound) {
		return nil, invalidToken("the user no longer exists")
	}
	if err != nil {
		return nil, storageErr(err)
	}
	return &Userinfo{Subject: u.ID, UserClaims: claimsFor(snapshot(t, u), c.Scopes())}, nil
}

// Introspection is the introspection answer (RFC 7662 §2.2).
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	JTI       string   `json:"jti,omitempty"`
	AuthTime  int64    `json:"auth_time,omitempty"`
}

// introspect describes an access or refresh token of the tenant to one of
// its confidential clients. Anything unknown, expired or revoked is only
// {"active": false}.
func (p *Provider) introspect(ctx context.Context, token string) (*Introspection, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if gid, secret, ok := splitRefresh(token); ok {
		g, live, err := p.refreshState(ctx, t.ID, gid, secret)
		if err != nil {
			return nil, storageErr(err)
		}
		if !live || p.now().After(g.Until) {
			return &Introspection{}, nil
		}
		return &Introspection{Active: true, Scope: strings.Join(g.Scopes, " "), ClientID: g.ClientID,
			TokenType: "refresh_token", Subject: g.Subject, Issuer: g.Issuer, AuthTime: g.AuthTime.Unix(),
			IssuedAt: g.Created.Unix()}, nil
	}
	c, err := p.VerifyAccessToken(ctx, t, token, "")
	if errors.Is(err, ErrInvalidToken) {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, storageErr(err)
	}
	active, err := p.accessActive(ctx, t.ID, c)
	if err != nil {
		return nil, storageErr(err)
	}
	if !active {
		return &Introspection{}, nil
	}
	return &Introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: oidc.BearerToken,
		Expiry: c.Expiry, IssuedAt: c.IssuedAt, Subject: c.Subject, Audience: c.Audience, Issuer: c.Issuer,
		JTI: c.JTI, AuthTime: c.AuthTime}, nil
}

// errNotYours: RFC 7009 §2.1 refuses to revoke another client's token.
func errNotYours() error {
	return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
}

// revoke answers RFC 7009: a refresh token revokes its whole grant (and
// with it every access token of the grant, §2.1); an access token is denied
// until it expires. Unknown, expired or malformed tokens are no error. The
// token's shape tells the two apart, so token_type_hint is not needed.
func (p *Provider) revoke(ctx context.Context, app *Application, token string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	if gid, secret, ok := splitRefresh(token); ok {
		n, err := p.revokeRefresh(ctx, t.ID, gid, secret, app.ID)
		if err != nil {
			return storageErr(err)
		}
		if n == refreshWrongClient {
			return errNotYours()
		}
		return nil
	}
	c, err := p.verifyAccess(ctx, t, token)
	if errors.Is(err, ErrInvalidToken) {
		return nil
	}
	if err != nil {
		return storageErr(err)
	}
	if c.ClientID != app.ID {
		return errNotYours()
	}
	if err := p.revokeAccess(ctx, t.ID, c.JTI, time.Unix(c.Expiry, 0)); err != nil {
		return storageErr(err)
	}
	return nil
}
