package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
)

// s256Challenge is what an S256 code_challenge looks like (RFC 7636 §4.2:
// base64url of a SHA-256, 43 characters).
var s256Challenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// authorize answers a validated authorization request. The library has
// already checked the client, the redirect URI (exactly), response_type,
// scopes and prompt; errors returned here are redirected to the client.
func (p *Provider) authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	ex := exchangeFrom(ctx)
	app := r.Client.(client).app
	req := r.Data
	if req.RequestParam != "" {
		return nil, oidc.ErrRequestNotSupported()
	}
	if r.Form.Get("request_uri") != "" {
		return nil, &oidc.Error{ErrorType: "request_uri_not_supported", Description: "request_uri is not supported"}
	}
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery {
		req.ResponseMode = oidc.ResponseModeQuery // the error goes back the one way Foyer answers
		return nil, oidc.ErrInvalidRequest().WithDescription("response_mode must be query")
	}
	if err := checkPKCE(app, req); err != nil {
		return nil, err
	}
	hintSub, err := op.ValidateAuthReqIDTokenHint(ctx, req.IDTokenHint, p.op.IDTokenHintVerifier(ctx))
	if err != nil {
		return nil, err
	}
	ar := &authRequest{
		ID: session.NewID(), TenantID: t.ID, Issuer: ex.issuer, ClientID: app.ID, RedirectURI: req.RedirectURI,
		Scopes: req.Scopes, State: req.State, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		HintSubject: hintSub, CreatedAt: p.now().UTC(),
	}
	create := slices.Contains(req.Prompt, "create")
	if !create && !slices.Contains(req.Prompt, oidc.PromptLogin) && !slices.Contains(req.Prompt, oidc.PromptSelectAccount) {
		login, ok, err := p.ssoLogin(ctx, t, ex.loginID, hintSub, req.MaxAge)
		if err != nil {
			return nil, storageErr(err)
		}
		if ok {
			code, err := p.storeCode(ctx, ar, login)
			if err != nil {
				return nil, storageErr(err)
			}
			return codeRedirect(ar, code)
		}
	}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	if err := p.saveAuthRequest(ctx, ar); err != nil {
		return nil, storageErr(err)
	}
	event, page := interaction.SignIn, "/sign-in"
	if create {
		event, page = interaction.Register, "/register"
	}
	ixID, err := p.interactions.StartForAuthRequest(ctx, t, ar.ID, event)
	if err != nil {
		return nil, storageErr(err)
	}
	ex.interactionID = ixID
	if len(req.UILocales) > 0 {
		page += "?" + url.Values{"ui_locales": {req.UILocales.String()}}.Encode()
	}
	return op.NewRedirect(page), nil
}

// checkPKCE applies RFC 7636 as OAuth 2.1 does: public clients must send an
// S256 challenge; a confidential client may; "plain" is never accepted.
func checkPKCE(app *Application, req *oidc.AuthRequest) error {
	switch {
	case req.CodeChallenge == "" && req.CodeChallengeMethod != "":
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method without code_challenge")
	case req.CodeChallenge == "" && !app.Confidential():
		return oidc.ErrInvalidRequest().WithDescription("code_challenge required (PKCE with S256)")
	case req.CodeChallenge == "":
		return nil
	case req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case !s256Challenge.MatchString(req.CodeChallenge):
		return oidc.ErrInvalidRequest().WithDescription("code_challenge is not an S256 challenge")
	}
	return nil
}

// ssoLogin returns the login session's result if it may answer the request
// without a page: it exists, is the hinted user's, and is recent enough
// for max_age (prompt=login arrives here as max_age 0 and never passes).
func (p *Provider) ssoLogin(ctx context.Context, t *tenant.Tenant, loginID, hintSub string, maxAge *uint) (loginResult, bool, error) {
	if loginID == "" {
		return loginResult{}, false, nil
	}
	login, err := p.logins.Get(ctx, t.ID, loginID)
	if errors.Is(err, session.ErrNotFound) {
		return loginResult{}, false, nil
	}
	if err != nil {
		return loginResult{}, false, err
	}
	if hintSub != "" && hintSub != login.UserID {
		return loginResult{}, false, nil
	}
	if maxAge != nil && (*maxAge == 0 || p.now().Sub(login.AuthTime) > time.Duration(*maxAge)*time.Second) {
		return loginResult{}, false, nil
	}
	u, err := p.accounts.Get(ctx, t.ID, login.UserID)
	if errors.Is(err, account.ErrNotFound) {
		return loginResult{}, false, nil
	}
	if err != nil {
		return loginResult{}, false, err
	}
	return loginResult{Subject: u.ID, AuthTime: login.AuthTime, AMR: amr(login.Methods), SID: sidOf(loginID),
		User: snapshot(t, u)}, true, nil
}

// codeResponse is the authorization response (RFC 6749 §4.1.2).
type codeResponse struct {
	Code  string `schema:"code"`
	State string `schema:"state,omitempty"`
}

func codeRedirect(ar *authRequest, code string) (*op.Redirect, error) {
	to, err := op.AuthResponseURL(ar.RedirectURI, oidc.ResponseTypeCode, oidc.ResponseModeQuery,
		&codeResponse{Code: code, State: ar.State}, oidc.NewEncoder())
	if err != nil {
		return nil, err
	}
	return op.NewRedirect(to), nil
}

// Finish records who signed in for an authorization request and returns
// the callback URL that gives the client its code. It implements
// interaction.AuthFinisher; submit calls it once the login session exists.
func (p *Provider) Finish(ctx context.Context, t *tenant.Tenant, authRequestID string, l interaction.FinishedLogin) (string, error) {
	login := loginResult{Subject: l.User.ID, AuthTime: l.Login.AuthTime, AMR: amr(l.Login.Methods),
		SID: sidOf(l.SessionID), User: snapshot(t, l.User)}
	ar, err := p.finishAuthRequest(ctx, t.ID, authRequestID, login)
	if errors.Is(err, errRequestGone) {
		return "", interaction.ErrAuthRequestGone
	}
	if err != nil {
		return "", err
	}
	return endpoints.Authorization.Absolute(ar.Issuer) + "/callback?" + url.Values{"id": {ar.ID}}.Encode(), nil
}

// callback answers GET /oidc/auth/callback?id=: the browser that signed in
// gets the code, at the client's redirect URI.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := tenantOf(ctx)
	if err != nil {
		op.WriteError(w, r, err, nil)
		return
	}
	ex := exchangeFrom(ctx)
	ar, code, state, err := p.takeAuthRequest(ctx, t.ID, r.URL.Query().Get("id"), sidOf(ex.loginID))
	if errors.Is(err, errRequestGone) {
		// Nothing says where to send the browser: answer here.
		op.WriteError(w, r, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request"), nil)
		return
	}
	if err != nil {
		op.WriteError(w, r, storageErr(err), nil)
		return
	}
	var redirect *op.Redirect
	switch state {
	case 1:
		redirect, err = op.TryErrorRedirect(ctx, ar, oidc.ErrInteractionRequired().WithDescription("sign-in not finished"), oidc.NewEncoder(), nil)
	case 2:
		redirect, err = op.TryErrorRedirect(ctx, ar, oidc.ErrLoginRequired().WithDescription("not signed in in this browser"), oidc.NewEncoder(), nil)
	default:
		redirect, err = codeRedirect(ar, code)
	}
	if err != nil {
		op.WriteError(w, r, err, nil)
		return
	}
	http.Redirect(w, r, redirect.URL, http.StatusFound)
}

// endSession ends Foyer's login session for end_session (OIDC RP-Initiated
// Logout): the library has checked id_token_hint and the
// post_logout_redirect_uri. When a hint names a user, only that user's
// session is ended.
func (p *Provider) endSession(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	ex := exchangeFrom(ctx)
	if ex.loginID == "" {
		return req.RedirectURI, nil
	}
	login, err := p.logins.Get(ctx, t.ID, ex.loginID)
	if errors.Is(err, session.ErrNotFound) {
		ex.clearLogin = true
		return req.RedirectURI, nil
	}
	if err != nil {
		return "", storageErr(err)
	}
	if req.UserID != "" && req.UserID != login.UserID {
		return req.RedirectURI, nil
	}
	if err := p.logins.Delete(ctx, login, ex.loginID); err != nil {
		return "", storageErr(err)
	}
	ex.clearLogin = true
	return req.RedirectURI, nil
}
