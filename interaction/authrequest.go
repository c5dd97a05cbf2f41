package interaction

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
)

// AuthFinisher completes the OpenID Connect authorization request an
// interaction was started for (the oidc package implements it). Finish is
// called once the user is signed in and returns the absolute URL the
// browser follows to give the client its code.
type AuthFinisher interface {
	Finish(ctx context.Context, t *tenant.Tenant, authRequestID string, login FinishedLogin) (redirectTo string, err error)
}

// FinishedLogin is the sign-in an interaction ended with.
type FinishedLogin struct {
	SessionID string // the new login session's id (the cookie value)
	Login     session.Login
	User      *account.User
}

// ErrAuthRequestGone: the authorization request expired while the user
// signed in. The user stays signed in and goes to the tenant's default
// page; the app's next sign-in is answered from the session.
var ErrAuthRequestGone = errors.New("interaction: authorization request gone")

// StartForAuthRequest begins an interaction that signs in for the
// authorization request authRequestID and returns its id for the cookie
// (SetInteractionCookie). The interaction API then works on it as usual;
// submit answers with the request's callback URL.
func (s *Service) StartForAuthRequest(ctx context.Context, t *tenant.Tenant, authRequestID string, event Event) (string, error) {
	ix := &Interaction{TenantID: t.ID, Event: event, CreatedAt: s.Now().UTC(), AuthRequestID: authRequestID}
	if event == Register {
		ix.Subject = &Subject{Handle: account.NewHandle()}
	}
	data, err := marshal(ix)
	if err != nil {
		return "", err
	}
	doc, err := s.Store.Create(ctx, s.Kind, data, 0)
	if err != nil {
		return "", err
	}
	return doc.ID, nil
}

// redirectAfterSignIn is where submit sends the browser: the callback of
// the authorization request the interaction serves, else the tenant's page.
func (s *Service) redirectAfterSignIn(ctx context.Context, t *tenant.Tenant, ix *Interaction, l FinishedLogin) (string, error) {
	if ix.AuthRequestID == "" || s.Finisher == nil {
		return t.Settings.SignInRedirectURI, nil
	}
	to, err := s.Finisher.Finish(ctx, t, ix.AuthRequestID, l)
	if errors.Is(err, ErrAuthRequestGone) {
		return t.Settings.SignInRedirectURI, nil
	}
	return to, err
}

// SetInteractionCookie sets the interaction cookie, exactly as PUT
// /api/interaction does (for the OpenID Provider's /auth).
func SetInteractionCookie(c *fiber.Ctx, id string, ttl time.Duration) { setCookie(c, id, ttl) }

// LoginSessionID is the login-session cookie of the request ("" if none).
func LoginSessionID(c *fiber.Ctx) string { return loginID(c) }

// ClearLoginCookie clears the login-session cookie (end_session).
func ClearLoginCookie(c *fiber.Ctx) { writeCookie(c, session.LoginCookie, "", -1) }
