package interaction

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/gofiber/fiber/v2"
)

// SessionInfo is the body of GET /api/session: who is signed in, since
// when, and how.
type SessionInfo struct {
	User      SessionUser `json:"user"`
	AuthTime  time.Time   `json:"authTime"`
	Methods   []string    `json:"methods"`
	ExpiresAt time.Time   `json:"expiresAt"`
}

// SessionUser is the signed-in user's public profile.
type SessionUser struct {
	ID           string `json:"id"`
	Username     string `json:"username,omitempty"`
	PrimaryEmail string `json:"primaryEmail,omitempty"`
	PrimaryPhone string `json:"primaryPhone,omitempty"`
}

// Session returns the login session id of tenant t.
func (s *Service) Session(ctx context.Context, t *tenant.Tenant, id string) (SessionInfo, error) {
	login, err := s.Logins.Get(ctx, t.ID, id)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			return SessionInfo{}, ErrUnauthorized
		}
		return SessionInfo{}, err
	}
	u, err := s.Accounts.Get(ctx, t.ID, login.UserID)
	if err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return SessionInfo{}, ErrUnauthorized
		}
		return SessionInfo{}, err
	}
	return SessionInfo{
		User:     SessionUser{ID: u.ID, Username: u.Username, PrimaryEmail: u.PrimaryEmail, PrimaryPhone: u.PrimaryPhone},
		AuthTime: login.AuthTime, Methods: login.Methods, ExpiresAt: login.ExpiresAt,
	}, nil
}

// SignOut ends the login session id, if it is one of tenant t's; signing
// out again is not an error.
func (s *Service) SignOut(ctx context.Context, t *tenant.Tenant, id string) error {
	return s.Logins.End(ctx, t.ID, id)
}

func loginID(c *fiber.Ctx) string {
	return c.Cookies(session.CookieName(session.LoginCookie, secure(c)))
}

func (h *Handler) getSession(c *fiber.Ctx) error {
	info, err := h.Service.Session(c.UserContext(), tenant.From(c), loginID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(info)
}

func (h *Handler) signOut(c *fiber.Ctx) error {
	if err := h.Service.SignOut(c.UserContext(), tenant.From(c), loginID(c)); err != nil {
		return err
	}
	writeCookie(c, session.LoginCookie, "", -1)
	return c.SendStatus(fiber.StatusNoContent)
}
