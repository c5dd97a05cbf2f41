package oidc

import (
	"context"
	"errors"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/account"
)

// exchangeCode answers grant_type=authorization_code (RFC 6749 §4.1.3,
// RFC 7636 §4.6). The code is read and checked first (client, redirect
// URI, PKCE, issuer), then consumed and its grant created by one script, so
// of two concurrent exchanges one wins; a code presented again revokes the
// grant the first exchange created.
func (p *Provider) exchangeCode(ctx context.Context, app *Application, req *oidc.AccessTokenRequest) (*TokenResponse, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	iss := exchangeFrom(ctx).issuer
	sc, err := p.readCode(ctx, t.ID, req.Code)
	if errors.Is(err, errRequestGone) {
		return nil, oidc.ErrInvalidGrant().WithDescription("code is invalid or expired")
	}
	if err != nil {
		return nil, storageErr(err)
	}
	if sc.used {
		if _, err := p.exchange(ctx, t.ID, req.Code, &grant{}, "", 0); err != nil {
			return nil, storageErr(err)
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("code was already used; the tokens issued for it are revoked")
	}
	ar := sc.req
	if ar.ClientID != app.ID {
		return nil, oidc.ErrInvalidGrant().WithDescription("code was issued to another client")
	}
	if ar.RedirectURI != req.RedirectURI {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not match the authorization request")
	}
	var challenge *oidc.CodeChallenge
	if ar.CodeChallenge != "" {
		challenge = &oidc.CodeChallenge{Challenge: ar.CodeChallenge, Method: oidc.CodeChallengeMethod(ar.CodeChallengeMethod)}
	}
	if err := op.AuthorizeCodeChallenge(req.CodeVerifier, challenge); err != nil {
		return nil, err
	}
	if ar.Issuer != iss {
		return nil, oidc.ErrInvalidGrant().WithDescription("code was issued by another issuer")
	}
	now := p.now().UTC()
	g := &grant{ID: randomToken(16), ClientID: app.ID, Issuer: iss, Subject: sc.login.Subject, Scopes: ar.Scopes,
		AuthTime: sc.login.AuthTime, AMR: sc.login.AMR, SID: sc.login.SID, User: sc.login.User,
		Created: now, Until: now.Add(RefreshTokenMax)}
	offline := slices.Contains(ar.Scopes, oidc.ScopeOfflineAccess)
	var rt, rtHash string
	if offline {
		secret := randomToken(32)
		rt, rtHash = refreshToken(g.ID, secret), hashSecret(secret)
	}
	n, err := p.exchange(ctx, t.ID, req.Code, g, rtHash, grantTTL(g, offline, now))
	if err != nil {
		return nil, storageErr(err)
	}
	if n != 1 {
		return nil, oidc.ErrInvalidGrant().WithDescription("code is invalid, expired or already used")
	}
	resp, err := p.mint(ctx, issue{tenantID: t.ID, issuer: iss, app: app, subject: g.Subject, scopes: g.Scopes,
		grantID: g.ID, authTime: g.AuthTime, idToken: slices.Contains(g.Scopes, oidc.ScopeOpenID),
		nonce: ar.Nonce, amr: g.AMR, sid: g.SID, user: g.User, refresh: rt})
	if err != nil {
		return nil, storageErr(err)
	}
	return resp, nil
}

// refresh answers grant_type=refresh_token (RFC 6749 §6): one script checks
// the token is its grant's current one, issued to this client by this
// issuer, with a scope at most the granted one, and rotates it. The ID
// token keeps the original auth_time and has no nonce (OIDC Core §12.2);
// profile claims are read again.
func (p *Provider) refresh(ctx context.Context, app *Application, req *oidc.RefreshTokenRequest) (*TokenResponse, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	iss := exchangeFrom(ctx).issuer
	gid, secret, ok := splitRefresh(req.RefreshToken)
	if !ok {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid")
	}
	newSecret := randomToken(32)
	now := p.now().UTC()
	// The lifetime is decided before the grant is read: the absolute end
	// is checked after, and the key's TTL never outlives it by more than
	// one idle period.
	g, n, err := p.rotate(ctx, t.ID, gid, secret, hashSecret(newSecret), RefreshTokenTTL, app.ID, iss, req.Scopes)
	if err != nil {
		return nil, storageErr(err)
	}
	switch n {
	case refreshOK:
	case refreshReused:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token was already used; its family is revoked")
	case refreshBadScope:
		return nil, oidc.ErrInvalidScope().WithDescription("scope exceeds the granted scope")
	default:
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token is invalid, expired or revoked")
	}
	if now.After(g.Until) {
		_ = p.revokeGrant(ctx, t.ID, g.ID)
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token is expired")
	}
	u, err := p.accounts.Get(ctx, t.ID, g.Subject)
	if errors.Is(err, account.ErrNotFound) {
		if err := p.revokeGrant(ctx, t.ID, g.ID); err != nil {
			return nil, storageErr(err)
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("the user no longer exists")
	}
	if err != nil {
		return nil, storageErr(err)
	}
	scopes := g.Scopes
	if len(req.Scopes) > 0 {
		scopes = req.Scopes
	}
	resp, err := p.mint(ctx, issue{tenantID: t.ID, issuer: iss, app: app, subject: g.Subject, scopes: scopes,
		grantID: g.ID, authTime: g.AuthTime, idToken: slices.Contains(scopes, oidc.ScopeOpenID),
		amr: g.AMR, sid: g.SID, user: snapshot(t, u), refresh: refreshToken(g.ID, newSecret)})
	if err != nil {
		return nil, storageErr(err)
	}
	return resp, nil
}

// clientCredentials answers grant_type=client_credentials (RFC 6749 §4.4)
// for an m2m application: the scopes asked for, all of them granted to the
// application, or every granted scope when none is asked for.
func (p *Provider) clientCredentials(ctx context.Context, app *Application, requested []string) (*TokenResponse, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	scopes := app.Scopes
	if len(requested) > 0 {
		for _, s := range requested {
			if !slices.Contains(app.Scopes, s) {
				return nil, oidc.ErrInvalidScope().WithDescription("scope not granted to this application")
			}
		}
		scopes = requested
	}
	resp, err := p.mint(ctx, issue{tenantID: t.ID, issuer: exchangeFrom(ctx).issuer, app: app, subject: app.ID, scopes: scopes})
	if err != nil {
		return nil, storageErr(err)
	}
	return resp, nil
}
