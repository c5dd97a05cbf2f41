package myaccount

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// LoginSession is one of the user's live login sessions. Its id is the
// public one (the "sid" of ID tokens), never the cookie's secret.
type LoginSession struct {
	ID        string    `json:"id"`
	AuthTime  time.Time `json:"authTime"`
	Methods   []string  `json:"methods"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// SessionList is GET /v1/users/me/sessions.
type SessionList struct {
	Sessions []LoginSession `json:"sessions"`
}

func (h *Handler) sessions(c *fiber.Ctx) error {
	out, err := h.Service.Sessions(c.UserContext(), tenant.From(c), callerOf(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) endSession(c *fiber.Ctx) error {
	if err := h.Service.EndSession(c.UserContext(), tenant.From(c), callerOf(c), c.Params("sessionId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// Sessions lists the user's live login sessions (session.Logins' per-user
// index).
func (s *Service) Sessions(ctx context.Context, t *tenant.Tenant, cl *Caller) (SessionList, error) {
	if err := s.authorize(ctx, t, cl, policy.ActionViewAccount, policy.Context{}); err != nil {
		return SessionList{}, err
	}
	entries, err := s.Logins.List(ctx, t.ID, cl.User.ID)
	if err != nil {
		return SessionList{}, err
	}
	out := SessionList{Sessions: []LoginSession{}}
	for _, e := range entries {
		out.Sessions = append(out.Sessions, LoginSession{ID: oidc.SID(e.ID), AuthTime: e.Login.AuthTime,
			Methods: orEmpty(e.Login.Methods), ExpiresAt: e.Login.ExpiresAt})
	}
	return out, nil
}

// EndSession ends one of the user's login sessions, named by its public id.
func (s *Service) EndSession(ctx context.Context, t *tenant.Tenant, cl *Caller, id string) error {
	if err := s.authorize(ctx, t, cl, policy.ActionEndSession, policy.Context{}); err != nil {
		return err
	}
	entries, err := s.Logins.List(ctx, t.ID, cl.User.ID)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if oidc.SID(e.ID) == id {
			return s.Logins.Delete(ctx, e.Login, e.ID)
		}
	}
	return ErrNotFound
}
