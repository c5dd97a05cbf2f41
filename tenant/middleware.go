package tenant

import (
	"errors"
	"strings"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// API errors of tenant resolution.
var (
	ErrUnknownHost = httpx.New(fiber.StatusNotFound, "tenant.not_found", "No tenant is served on this host.")
	ErrMismatch    = httpx.New(fiber.StatusForbidden, "tenant_mismatch", "The request names a tenant other than the one it was sent to.")
)

// HeaderID is the optional header by which API clients name the tenant they
// mean; it must agree with the host (ARCHITECTURE §3).
const HeaderID = "X-Tenant-ID"

// Middleware resolves the request's Host to a tenant and puts it in the
// user context. Unknown hosts end the request with 404.
func (r *Resolver) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		// The Host is read in place: Resolve copies it only to cache it.
		t, err := r.Resolve(c.UserContext(), NormalizeHost(utils.UnsafeString(c.Request().Header.Host())))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrUnknownHost
			}
			return err
		}
		// A UUID names the same tenant in either case (RFC 9562 §4).
		if id := c.Get(HeaderID); id != "" && !strings.EqualFold(id, t.ID) {
			return ErrMismatch
		}
		c.SetUserContext(WithTenant(c.UserContext(), t))
		return c.Next()
	}
}

// From returns the tenant the middleware resolved.
func From(c *fiber.Ctx) *Tenant {
	return FromContext(c.UserContext())
}
