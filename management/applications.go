package management

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/oidc"
)

// ApplicationStore is what the admin API needs of the OpenID Provider's
// applications (oidc.Applications).
type ApplicationStore interface {
	Create(ctx context.Context, tid, id string, in oidc.ApplicationInput) (oidc.ApplicationView, error)
	List(ctx context.Context, tid string) ([]*oidc.Application, error)
	Get(ctx context.Context, tid, id string) (*oidc.Application, error)
	Update(ctx context.Context, tid, id string, p oidc.ApplicationPatch) (oidc.ApplicationView, error)
	RotateSecret(ctx context.Context, tid, id string) (oidc.ApplicationView, error)
	Delete(ctx context.Context, tid, id string) error
}

// SigningKeys is what the admin API needs of a tenant's signing keys
// (oidc.Keys).
type SigningKeys interface {
	List(ctx context.Context, tid string) (oidc.KeyList, error)
	Rotate(ctx context.Context, tid string) (oidc.KeyList, error)
}

// ErrAppTaken: only an id Foyer chooses itself (the demo's) can collide.
var ErrAppTaken = httpx.New(fiber.StatusConflict, "application.already_exists", "An application with this id already exists.")

// ApplicationList is the body of GET .../applications.
type ApplicationList struct {
	Applications []oidc.ApplicationView `json:"applications"`
}

func (h *Handler) mountApplications(r fiber.Router) {
	r.Post("/tenants/:id/applications", h.createApplication)
	r.Get("/tenants/:id/applications", h.listApplications)
	r.Get("/tenants/:id/applications/:appId", h.getApplication)
	r.Patch("/tenants/:id/applications/:appId", h.updateApplication)
	r.Delete("/tenants/:id/applications/:appId", h.deleteApplication)
	r.Post("/tenants/:id/applications/:appId/secret", h.rotateSecret)
	r.Get("/tenants/:id/signing-keys", h.listKeys)
	r.Post("/tenants/:id/signing-keys/rotate", h.rotateKeys)
}

// tenantID checks the tenant of the path exists and returns its id.
func (h *Handler) tenantID(c *fiber.Ctx) (string, error) {
	t, err := h.Tenants.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return "", mapErr(err)
	}
	return t.ID, nil
}

func appErr(err error) error {
	switch {
	case errors.Is(err, oidc.ErrAppNotFound):
		return ErrTenantNotFound // entity.not_found
	case errors.Is(err, oidc.ErrAppExists):
		return ErrAppTaken
	}
	return err
}

func (h *Handler) createApplication(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	in, err := httpx.Bind[oidc.ApplicationInput](c, h.Binder)
	if err != nil {
		return err
	}
	v, err := h.Applications.Create(c.UserContext(), tid, "", in)
	if err != nil {
		return appErr(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the secret is in it
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) listApplications(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	apps, err := h.Applications.List(c.UserContext(), tid)
	if err != nil {
		return err
	}
	out := ApplicationList{Applications: make([]oidc.ApplicationView, len(apps))}
	for i, a := range apps {
		out.Applications[i] = a.View()
	}
	return c.JSON(out)
}

func (h *Handler) getApplication(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	a, err := h.Applications.Get(c.UserContext(), tid, c.Params("appId"))
	if err != nil {
		return appErr(err)
	}
	return c.JSON(a.View())
}

func (h *Handler) updateApplication(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	in, err := httpx.Bind[oidc.ApplicationPatch](c, h.Binder)
	if err != nil {
		return err
	}
	v, err := h.Applications.Update(c.UserContext(), tid, c.Params("appId"), in)
	if err != nil {
		return appErr(err)
	}
	return c.JSON(v)
}

func (h *Handler) deleteApplication(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	if err := h.Applications.Delete(c.UserContext(), tid, c.Params("appId")); err != nil {
		return appErr(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) rotateSecret(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	v, err := h.Applications.RotateSecret(c.UserContext(), tid, c.Params("appId"))
	if err != nil {
		return appErr(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}

func (h *Handler) listKeys(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	keys, err := h.SigningKeys.List(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return c.JSON(keys)
}

func (h *Handler) rotateKeys(c *fiber.Ctx) error {
	tid, err := h.tenantID(c)
	if err != nil {
		return err
	}
	keys, err := h.SigningKeys.Rotate(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return c.JSON(keys)
}
