package httpx

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/foyer-auth/foyer/internal/origin"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

type requestIDKey struct{}

// RequestID returns the request id that the RequestContext middleware put in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Started is when fasthttp began serving the request, which it noted
// anyway: no second clock read. A RequestCtx served by hand has no time.
func Started(c *fiber.Ctx) time.Time {
	if t := c.Context().Time(); !t.IsZero() {
		return t
	}
	return time.Now()
}

// RequestContext gives each request an id (echoed in X-Request-Id) and a
// deadline, both carried by c.UserContext() so that code below the handlers
// sees them without Fiber.
func RequestContext(timeout time.Duration) fiber.Handler {
	d := newDeadlines(timeout)
	return func(c *fiber.Ctx) error {
		// A trusted proxy's request id ties our log line to its own; anyone
		// else's is ignored (it could forge or flood the logs).
		var id string
		if ClientOf(c).Proxied {
			id = c.Get(fiber.HeaderXRequestID)
		}
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Set(fiber.HeaderXRequestID, id)
		ctx, cancel := d.context(c.UserContext(), Started(c), id)
		if cancel != nil {
			defer cancel()
		}
		c.SetUserContext(ctx)
		err := c.Next()
		if err != nil && errors.Is(err, context.DeadlineExceeded) {
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				return ErrTimeout.WithCause(err)
			}
		}
		return err
	}
}

// CSRF guards state-changing, cookie-authenticated calls (ARCHITECTURE §9):
// a body, or any declared body type, must be JSON (which a cross-site HTML
// form cannot send without a CORS preflight) and, when the browser says where the request
// comes from, come from one of the tenant's origins. Requests without Origin
// and Sec-Fetch-Site come from non-browser clients, which cookies do not
// ride along with. allowed must not keep the origin it is given: it is
// the request's own bytes.
func CSRF(allowed func(c *fiber.Ctx, origin string) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		// An HTML form always sends a Content-Type, even with an empty body;
		// a bodiless fetch() (POST /submit) sends none.
		if ct := c.Request().Header.ContentType(); (len(ct) > 0 || len(Body(c)) > 0) && !isJSON(ct) {
			return ErrUnsupportedType
		}
		// Read in place: the checks keep nothing of it.
		if origin := utils.UnsafeString(c.Request().Header.Peek(fiber.HeaderOrigin)); origin != "" {
			if origin == "null" || !validOrigin(origin) || !allowed(c, origin) {
				return ErrCrossSite
			}
			return c.Next()
		}
		switch string(c.Request().Header.Peek("Sec-Fetch-Site")) {
		case "", "same-origin", "none":
			return c.Next()
		default:
			return ErrCrossSite
		}
	}
}

// validOrigin reports whether o is a serialised origin (RFC 6454 §6.1):
// scheme "://" host [":" port], nothing more. Userinfo, a path, a query or a
// fragment make it something a browser never sends.
func validOrigin(o string) bool {
	_, ok := origin.Parse(o)
	return ok
}

// Body is the request body as received, not copied and never inflated
// (BodyLimit refuses a Content-Encoding): valid until the handler returns.
// Fiber's c.Body() would copy it and, for a gzip body, inflate it first.
func Body(c *fiber.Ctx) []byte { return c.Request().Body() }

// BodyLimit refuses bodies over n bytes with 413, and compressed bodies
// (any Content-Encoding but identity) with 415. Fiber's own BodyLimit
// should be set well above n: fasthttp cuts an oversize body off unread,
// which a client still writing may see as a reset instead of the 413.
func BodyLimit(n int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if ce := c.Request().Header.Peek(fiber.HeaderContentEncoding); len(ce) > 0 && !bytes.EqualFold(ce, []byte("identity")) {
			return ErrEncoded
		}
		if len(Body(c)) > n {
			return ErrTooLarge
		}
		return c.Next()
	}
}

// SecurityHeaders sets the headers every answer carries: nosniff, so that
// no browser reads a JSON error as a script or a page; and outside dev mode,
// on https, HSTS for a year (RFC 6797; browsers ignore it over plain http).
func SecurityHeaders(hsts bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		if hsts && Scheme(c) == "https" {
			c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
		}
		return c.Next()
	}
}

// validRequestID accepts what proxies send as request ids (UUIDs, hex,
// base64url, dotted or dashed tokens), at most 128 characters, and nothing
// that could break a log line.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '=' || c == '/' || c == '+') {
			return false
		}
	}
	return true
}
