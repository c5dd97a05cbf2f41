package management

import (
	"errors"
	"strconv"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/audit"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/accesslog"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/foyer-auth/foyer/webhook"
	"github.com/gofiber/fiber/v2"
)

// Errors of the operations endpoints.
var (
	ErrTenantConflict = httpx.New(fiber.StatusConflict, "tenant.conflict", "The tenant was changed by another request; read it again and retry.")
	ErrUserNotFound   = httpx.New(fiber.StatusNotFound, "entity.not_found", "The resource does not exist.")
)

// Ops are the dependencies of the users, audit-log and webhook endpoints.
// Each group is mounted only when its dependencies are set.
type Ops struct {
	Accounts *account.Store
	Logins   *session.Logins
	Hasher   *verification.Hasher
	// Senders deliver invitations through the tenant's connectors.
	Senders interaction.SenderFor
	Audit   *audit.Log
	Hooks   *webhook.Store
	Now     func() time.Time
}

// mountOps registers the operations endpoints on r (the /api/admin group,
// already behind the admin key).
func (h *Handler) mountOps(r fiber.Router) {
	if h.Ops.Audit != nil {
		r.Get("/tenants/:id/audit-logs", h.auditLogs)
	}
	if h.Ops.Accounts != nil {
		r.Get("/tenants/:id/users", h.listUsers)
		r.Post("/tenants/:id/users", h.createUser)
		r.Get("/tenants/:id/users/:userId", h.getUser)
		r.Patch("/tenants/:id/users/:userId", h.updateUser)
		r.Delete("/tenants/:id/users/:userId", h.deleteUser)
	}
	if h.Ops.Hooks != nil {
		r.Get("/tenants/:id/webhooks", h.listHooks)
		r.Post("/tenants/:id/webhooks", h.createHook)
		r.Get("/tenants/:id/webhooks/:hookId", h.getHook)
		r.Delete("/tenants/:id/webhooks/:hookId", h.deleteHook)
		r.Get("/tenants/:id/webhooks/:hookId/deliveries", h.hookDeliveries)
	}
}

// tenantOf loads the tenant named in the path.
func (h *Handler) tenantOf(c *fiber.Ctx) (*tenant.Tenant, error) {
	t, err := h.Tenants.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, mapErr(err)
	}
	return t, nil
}

// adminAudit records an admin change on the tenant's trail.
func (h *Handler) adminAudit(c *fiber.Ctx, t *tenant.Tenant, action, uid string) {
	if h.Ops.Audit == nil {
		return
	}
	now := time.Now
	if h.Ops.Now != nil {
		now = h.Ops.Now
	}
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 256 {
		ua = ua[:256]
	}
	h.Ops.Audit.Append(t.ID, t.Settings.Audit, audit.Entry{Time: now().UTC(), Actor: audit.ActorAdmin, Action: action,
		Result: interaction.ResultSuccess, UserID: uid, IP: accesslog.ClientIP(c), UserAgent: ua})
}

// page reads the after and limit query parameters of a paged list.
func page(c *fiber.Ctx) (after string, limit int, err error) {
	after = c.Query("after")
	if len(after) > 128 {
		return "", 0, httpx.InvalidField("after", "cursor", "")
	}
	limit = 50
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 200 {
			return "", 0, httpx.InvalidField("limit", "range", "1-200")
		}
		limit = n
	}
	return after, limit, nil
}

func (h *Handler) auditLogs(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	after, limit, err := page(c)
	if err != nil {
		return err
	}
	p, err := h.Ops.Audit.List(c.UserContext(), t.ID, after, limit)
	if errors.Is(err, audit.ErrCursor) {
		return httpx.InvalidField("after", "cursor", "")
	}
	if err != nil {
		return httpx.ErrUnavailable.WithCause(err)
	}
	return c.JSON(p)
}
