package interaction

import (
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/gofiber/fiber/v2"
)

// Handler serves /api/interaction.
type Handler struct {
	Service *Service
	Binder  *httpx.Binder
}

// Mount registers the routes on r (the /api/interaction group).
func (h *Handler) Mount(r fiber.Router) {
	r.Put("/", h.start)
	r.Get("/", h.state)
	r.Delete("/", h.delete)
	r.Put("/event", h.setEvent)
}

func (h *Handler) start(c *fiber.Ctx) error {
	in, err := httpx.Bind[StartInput](c, h.Binder)
	if err != nil {
		return err
	}
	id, err := h.Service.Start(c.UserContext(), tenant.From(c), cookieID(c), in)
	if err != nil {
		return err
	}
	setCookie(c, id, h.Service.Kind.TTL)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) state(c *fiber.Ctx) error {
	st, err := h.Service.State(c.UserContext(), tenant.From(c), cookieID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(st)
}

func (h *Handler) delete(c *fiber.Ctx) error {
	if err := h.Service.Delete(c.UserContext(), tenant.From(c), cookieID(c)); err != nil {
		return err
	}
	clearCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) setEvent(c *fiber.Ctx) error {
	in, err := httpx.Bind[EventInput](c, h.Binder)
	if err != nil {
		return err
	}
	if err := h.Service.SetEvent(c.UserContext(), tenant.From(c), cookieID(c), in); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// secure reports whether cookies must be Secure: always, except in dev mode
// over plain http (browsers drop Secure cookies there).
func secure(c *fiber.Ctx) bool {
	t := tenant.From(c)
	return !(t != nil && t.Dev) || c.Protocol() == "https"
}

// cookieID returns the interaction id from whichever cookie name this
// origin uses; an absent cookie is "".
func cookieID(c *fiber.Ctx) string {
	return c.Cookies(session.CookieName(session.InteractionCookie, secure(c)))
}

func setCookie(c *fiber.Ctx, id string, ttl time.Duration) {
	sec := secure(c)
	c.Cookie(&fiber.Cookie{
		Name: session.CookieName(session.InteractionCookie, sec), Value: id, Path: "/",
		MaxAge: int(ttl / time.Second), Secure: sec, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func clearCookie(c *fiber.Ctx) {
	sec := secure(c)
	c.Cookie(&fiber.Cookie{
		Name: session.CookieName(session.InteractionCookie, sec), Value: "", Path: "/",
		MaxAge: -1, Expires: time.Unix(0, 0), Secure: sec, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	})
}
