package interaction

import (
	"errors"
	"strings"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
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
	r.Patch("/identifiers", h.identify)
	r.Put("/profile", h.profile(true))
	r.Patch("/profile", h.profile(false))
	r.Delete("/profile", h.clearProfile)
	r.Post("/submit", h.submit)
	r.Post("/verification/webauthn-registration", h.webauthnRegistration)
	r.Post("/verification/webauthn-authentication", h.webauthnAuthentication)
	r.Post("/bind-mfa", h.bindMFA)
	r.Put("/mfa", h.verifyMFA)
	r.Put("/mfa-skipped", h.skipMFA)
	r.Post("/verification/verification-code", h.sendCode)
	r.Post("/verification/totp", h.totpSecret)
	r.Post("/verification/backup-codes", h.backupCodes)
}

// MountSession registers the login-session routes on r (/api/session).
func (h *Handler) MountSession(r fiber.Router) {
	r.Get("/", h.getSession)
	r.Delete("/", h.signOut)
	r.Get("/passkeys", h.sessionPasskeys)
}

// bind is httpx.Bind for bodies that carry a password: a password that is
// not valid UTF-8, or holds a lone surrogate escape ("\ud800"), is refused
// as CheckPassword refuses it (password.rejected, invalid_encoding) rather
// than as a generic field error. It never reaches a hash: decoders that
// turn such input into U+FFFD would make many inputs one password.
func bind[T any](c *fiber.Ctx, b *httpx.Binder) (T, error) {
	v, err := httpx.Bind[T](c, b)
	var apiErr *httpx.Error
	if err == nil || !errors.As(err, &apiErr) {
		return v, err
	}
	if d, ok := apiErr.Details.(httpx.FieldDetails); ok && len(d.Fields) == 1 {
		f := d.Fields[0]
		if f.Rule == httpx.RuleUTF8 && (f.Field == "password" || strings.HasSuffix(f.Field, ".password")) {
			return v, ErrPasswordRejected.WithDetails(PasswordDetails{Issues: []verification.PasswordIssue{{Code: verification.IssueInvalidEncoding}}})
		}
	}
	return v, err
}

func request(c *fiber.Ctx) Request {
	return Request{Tenant: tenant.From(c), IP: httpx.ClientIP(c), Origin: c.Get(fiber.HeaderOrigin), UserAgent: c.Get(fiber.HeaderUserAgent)}
}

func (h *Handler) start(c *fiber.Ctx) error {
	in, err := bind[StartInput](c, h.Binder)
	if err != nil {
		return err
	}
	if in.Identifier != nil {
		if err := h.checkPasskey(in.Identifier, "identifier.passkey."); err != nil {
			return err
		}
	}
	id, err := h.Service.Start(c.UserContext(), request(c), cookieID(c), in)
	return h.moved(c, id, err)
}

// moved answers a call that may have moved the interaction to id: the
// cookie follows it even when a step after the move failed (the sign
// count of a passkey, say), since the old id is gone.
func (h *Handler) moved(c *fiber.Ctx, id string, err error) error {
	if id != "" && (err == nil || id != cookieID(c)) {
		setCookie(c, id, h.Service.Kind.TTL)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) state(c *fiber.Ctx) error {
	st, err := h.Service.State(c.UserContext(), tenant.From(c), cookieID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	// Encoded on the stack and copied into the response's pooled buffer,
	// so that the answer costs no allocation (c.JSON would reflect and
	// allocate the bytes).
	var scratch [512]byte
	c.Response().SetBody(appendState(scratch[:0], &st))
	return nil
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
// over plain http (browsers drop Secure cookies there). The scheme is the
// client's: X-Forwarded-Proto counts only from a trusted proxy.
func secure(c *fiber.Ctx) bool {
	t := tenant.From(c)
	return !(t != nil && t.Dev) || httpx.Scheme(c) == "https"
}

// cookieID returns the interaction id from whichever cookie name this
// origin uses; an absent cookie is "".
func cookieID(c *fiber.Ctx) string {
	return c.Cookies(session.CookieName(session.InteractionCookie, secure(c)))
}

func setCookie(c *fiber.Ctx, id string, ttl time.Duration) {
	writeCookie(c, session.InteractionCookie, id, ttl)
}

func clearCookie(c *fiber.Ctx) {
	writeCookie(c, session.InteractionCookie, "", -1)
}

// writeCookie sets (ttl > 0) or clears (ttl < 0) one of Foyer's cookies:
// HttpOnly, SameSite=Lax, Path=/, and Secure with the __Host- prefix except
// on plain-http dev origins.
func writeCookie(c *fiber.Ctx, base, value string, ttl time.Duration) {
	sec := secure(c)
	ck := &fiber.Cookie{
		Name: session.CookieName(base, sec), Value: value, Path: "/",
		Secure: sec, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
	}
	if ttl < 0 {
		ck.MaxAge, ck.Expires = -1, time.Unix(0, 0)
	} else {
		ck.MaxAge = int(ttl / time.Second)
	}
	c.Cookie(ck)
}

func (h *Handler) identify(c *fiber.Ctx) error {
	in, err := bind[IdentifierInput](c, h.Binder)
	if err != nil {
		return err
	}
	if err := h.checkPasskey(&in, "passkey."); err != nil {
		return err
	}
	id, err := h.Service.Identify(c.UserContext(), request(c), cookieID(c), in)
	return h.moved(c, id, err)
}

func (h *Handler) profile(replace bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, err := bind[ProfileInput](c, h.Binder)
		if err != nil {
			return err
		}
		if err := h.Service.SetProfile(c.UserContext(), tenant.From(c), cookieID(c), in, replace); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func (h *Handler) clearProfile(c *fiber.Ctx) error {
	if err := h.Service.ClearProfile(c.UserContext(), tenant.From(c), cookieID(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) submit(c *fiber.Ctx) error {
	res, err := h.Service.Submit(c.UserContext(), request(c), cookieID(c), loginID(c))
	if err != nil {
		return err
	}
	clearCookie(c)
	if res.SessionID == "" {
		return c.SendStatus(fiber.StatusNoContent) // a password reset signs nobody in
	}
	writeCookie(c, session.LoginCookie, res.SessionID, h.Service.Logins.Idle)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(res)
}

// checkPasskey validates the shape of a passkey assertion inside an
// identifier, naming its fields under prefix.
func (h *Handler) checkPasskey(in *IdentifierInput, prefix string) error {
	if len(in.Passkey) == 0 {
		return nil
	}
	_, err := httpx.Decode[AssertionInput](h.Binder, fiber.MIMEApplicationJSON, in.Passkey)
	return httpx.PrefixFields(err, prefix)
}
