package management

import (
	"errors"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/webhook"
	"github.com/gofiber/fiber/v2"
)

// CreateHookInput is the body of POST /tenants/{id}/webhooks.
type CreateHookInput struct {
	URL    string   `json:"url" validate:"required,max=2048,url"`
	Events []string `json:"events" validate:"required,min=1,max=4,unique,dive,oneof=PostRegister PostSignIn PostResetPassword User.Mfa.Changed"`
}

// CreatedHook is the answer of POST /tenants/{id}/webhooks: the endpoint
// and its signing secret, shown this once.
type CreatedHook struct {
	webhook.Hook
	Secret string `json:"secret"`
}

// HookList is the body of GET /tenants/{id}/webhooks.
type HookList struct {
	Webhooks []webhook.Hook `json:"webhooks"`
}

func (h *Handler) createHook(c *fiber.Ctx) error {
	in, err := httpx.Bind[CreateHookInput](c, h.Binder)
	if err != nil {
		return err
	}
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	hook, secret, err := h.Ops.Hooks.Create(c.UserContext(), t.ID, in.URL, in.Events)
	if err != nil {
		return hookErr(err)
	}
	h.adminAudit(c, t, "Admin.Webhook.Create", "")
	return c.Status(fiber.StatusCreated).JSON(CreatedHook{Hook: hook, Secret: secret})
}

func (h *Handler) listHooks(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	hooks, err := h.Ops.Hooks.List(c.UserContext(), t.ID)
	if err != nil {
		return hookErr(err)
	}
	return c.JSON(HookList{Webhooks: hooks})
}

func (h *Handler) getHook(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	hook, err := h.Ops.Hooks.Get(c.UserContext(), t.ID, c.Params("hookId"))
	if err != nil {
		return hookErr(err)
	}
	return c.JSON(hook)
}

func (h *Handler) deleteHook(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	if err := h.Ops.Hooks.Delete(c.UserContext(), t.ID, c.Params("hookId")); err != nil {
		return hookErr(err)
	}
	h.adminAudit(c, t, "Admin.Webhook.Delete", "")
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) hookDeliveries(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	after, limit, err := page(c)
	if err != nil {
		return err
	}
	p, err := h.Ops.Hooks.Deliveries(c.UserContext(), t.ID, c.Params("hookId"), after, limit)
	if err != nil {
		return hookErr(err)
	}
	return c.JSON(p)
}

func hookErr(err error) error {
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		return ErrUserNotFound
	case errors.Is(err, webhook.ErrURL):
		return httpx.InvalidField("url", "webhook_url", "https (http only for localhost)")
	case errors.Is(err, webhook.ErrCursor):
		return httpx.InvalidField("after", "cursor", "")
	case errors.Is(err, webhook.ErrUnavailable):
		return httpx.ErrUnavailable.WithCause(err)
	}
	return err
}
