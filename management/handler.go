package management

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/gofiber/fiber/v2"
)

// API errors of the admin API.
var (
	ErrUnauthenticated = httpx.New(fiber.StatusUnauthorized, "unauthenticated", "A valid admin bearer token is required.")
	ErrDisabled        = httpx.New(fiber.StatusNotFound, "request.not_found", "The admin API is disabled on this server.")
	ErrTenantNotFound  = httpx.New(fiber.StatusNotFound, "entity.not_found", "The resource does not exist.")
	ErrTaken           = httpx.New(fiber.StatusConflict, "tenant.already_exists", "The slug or a host is already used by another tenant.")
)

// Handler serves /api/admin.
type Handler struct {
	Tenants    *tenant.Store
	Resolver   *tenant.Resolver
	Binder     *httpx.Binder
	AdminKey   string
	BaseDomain string
	// The OpenID Provider's applications and signing keys.
	Applications ApplicationStore
	SigningKeys  SigningKeys
	// Ops serves users, audit logs and webhooks (management/ops.go).
	Ops Ops
	// Policies are the tenants' Cedar policies.
	Policies PolicyStore
}

// Mount registers the routes on r (the /api/admin group).
func (h *Handler) Mount(r fiber.Router) {
	r.Use(h.auth)
	r.Get("/tenants", h.list)
	r.Post("/tenants", h.create)
	r.Get("/tenants/:id", h.get)
	r.Patch("/tenants/:id", h.update)
	h.mountApplications(r)
	h.mountOps(r)
	h.mountPolicies(r)
}

func (h *Handler) auth(c *fiber.Ctx) error {
	if h.AdminKey == "" {
		return ErrDisabled
	}
	got, ok := bearer(c.Get(fiber.HeaderAuthorization))
	// Hash both sides so the comparison takes the same time whatever the
	// length of the guess.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(h.AdminKey))
	if !ok || subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		// RFC 9110 §11.6.1: a 401 names the scheme that would work.
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="foyer-admin"`)
		return ErrUnauthenticated
	}
	return c.Next()
}

// bearer returns the token of an Authorization: Bearer header. The scheme
// is case-insensitive (RFC 9110 §11.1); one or more spaces follow it.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	return token, token != ""
}

// CreateInput is the body of POST /api/admin/tenants. Settings not given
// keep their defaults.
type CreateInput struct {
	Slug     string          `json:"slug" validate:"required,min=2,max=63"`
	Hosts    []string        `json:"hosts" validate:"max=16,unique,dive,hostname_rfc1123"`
	Settings json.RawMessage `json:"settings"`
}

// UpdateInput is the body of PATCH /api/admin/tenants/:id: hosts replace the
// list; settings are merged into the current ones (objects merge, arrays and
// scalars replace).
type UpdateInput struct {
	Hosts    []string        `json:"hosts" validate:"omitempty,min=1,max=16,unique,dive,hostname_rfc1123"`
	Settings json.RawMessage `json:"settings"`
}

// ListOutput is the body of GET /api/admin/tenants.
type ListOutput struct {
	Tenants []*tenant.Tenant `json:"tenants"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

func (h *Handler) create(c *fiber.Ctx) error {
	in, err := httpx.Bind[CreateInput](c, h.Binder)
	if err != nil {
		return err
	}
	if !slugRE.MatchString(in.Slug) {
		return httpx.InvalidField("slug", "slug", "a-z0-9-")
	}
	if reservedSlug(in.Slug) {
		return httpx.InvalidField("slug", "reserved", "")
	}
	base := tenant.NormalizeHost(h.BaseDomain)
	t := tenant.Tenant{Slug: in.Slug, Settings: tenant.DefaultSettings()}
	hosts := normalizeHosts(in.Hosts)
	if err := h.checkHosts(c, in.Slug, base, hosts, ""); err != nil {
		return err
	}
	if base != "" {
		t.Hosts = append(t.Hosts, in.Slug+"."+base)
	}
	for _, host := range hosts {
		if !slices.Contains(t.Hosts, host) {
			t.Hosts = append(t.Hosts, host)
		}
	}
	if len(t.Hosts) == 0 {
		return httpx.InvalidField("hosts", "required_without_base_domain", "")
	}
	if err := h.mergeSettings(&t.Settings, in.Settings); err != nil {
		return err
	}
	created, err := h.Tenants.Create(c.UserContext(), t)
	if err != nil {
		return mapErr(err)
	}
	h.Resolver.Forget()
	return c.Status(fiber.StatusCreated).JSON(redact(created))
}

func (h *Handler) get(c *fiber.Ctx) error {
	t, err := h.Tenants.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return mapErr(err)
	}
	c.Set(fiber.HeaderETag, tenant.ETag(t))
	return c.JSON(redact(t))
}

func (h *Handler) list(c *fiber.Ctx) error {
	ts, err := h.Tenants.List(c.UserContext())
	if err != nil {
		return err
	}
	for i, t := range ts {
		ts[i] = redact(t)
	}
	return c.JSON(ListOutput{Tenants: ts})
}

func (h *Handler) update(c *fiber.Ctx) error {
	in, err := httpx.Bind[UpdateInput](c, h.Binder)
	if err != nil {
		return err
	}
	hosts := normalizeHosts(in.Hosts)
	t, err := h.Tenants.UpdateIf(c.UserContext(), c.Params("id"), c.Get(fiber.HeaderIfMatch), func(t *tenant.Tenant) error {
		if len(hosts) > 0 {
			if err := h.checkHosts(c, t.Slug, tenant.NormalizeHost(h.BaseDomain), hosts, t.ID); err != nil {
				return err
			}
			t.Hosts = hosts
		}
		return h.mergeSettings(&t.Settings, in.Settings)
	})
	if err != nil {
		return mapErr(err)
	}
	h.Resolver.Forget()
	h.adminAudit(c, t, "Admin.Tenant.Update", "")
	c.Set(fiber.HeaderETag, tenant.ETag(t))
	return c.JSON(redact(t))
}

// mergeSettings decodes a partial settings object onto s and validates the
// result, so a change is refused as a whole if any field is wrong.
func (h *Handler) mergeSettings(s *tenant.Settings, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	merged, err := clone(s)
	if err != nil {
		return err
	}
	if err := httpx.DecodeInto(h.Binder, raw, &merged); err != nil {
		return httpx.PrefixFields(err, "settings.")
	}
	merged.Normalize()
	if err := merged.CheckSignUp(); err != nil {
		return httpx.PrefixFields(err, "settings.")
	}
	for i, o := range merged.RelatedOrigins {
		if !tenant.ValidRelatedOrigin(o) {
			return httpx.InvalidField("settings.relatedOrigins["+strconv.Itoa(i)+"]", "origin", "https://host[:port]")
		}
	}
	if wh := merged.Connectors.SMS.Webhook; wh != nil {
		if err := wh.Validate(); err != nil {
			return httpx.InvalidField("settings.connectors.sms.webhook", "webhook", "https url, secret of 32+ characters")
		}
	}
	*s = merged
	return nil
}

// clone returns a deep copy of s, so that merging a change into it never
// writes through a shared pointer (the SMTP or webhook config).
func clone(s *tenant.Settings) (tenant.Settings, error) {
	var cp tenant.Settings
	b, err := json.Marshal(s)
	if err != nil {
		return cp, err
	}
	return cp, json.Unmarshal(b, &cp)
}

// normalizeHosts lower-cases hosts and drops ports and trailing dots.
func normalizeHosts(in []string) []string {
	out := make([]string, 0, len(in))
	for _, h := range in {
		out = append(out, tenant.NormalizeHost(h))
	}
	return out
}

// checkHosts applies checkHosts against every other tenant's hosts.
// Creating and changing hosts are rare admin calls: reading every tenant is
// affordable there. Two concurrent calls may each miss the other's new
// host; exact duplicates are still refused by the store's atomic claim.
func (h *Handler) checkHosts(c *fiber.Ctx, slug, base string, hosts []string, self string) error {
	if len(hosts) == 0 {
		return nil
	}
	others, err := h.Tenants.List(c.UserContext())
	if err != nil {
		return err
	}
	return checkHosts("hosts", slug, base, hosts, self, others)
}

func mapErr(err error) error {
	switch {
	case errors.Is(err, tenant.ErrNotFound):
		return ErrTenantNotFound
	case errors.Is(err, tenant.ErrTaken):
		return ErrTaken
	case errors.Is(err, tenant.ErrConflict):
		return ErrTenantConflict
	}
	return err
}

// redact returns a copy of t without connector secrets: the admin API
// takes them but never sends them back.
func redact(t *tenant.Tenant) *tenant.Tenant {
	cp := *t
	c := &cp.Settings.Connectors
	if c.Email.SMTP != nil {
		smtp := *c.Email.SMTP
		smtp.Password = ""
		c.Email.SMTP = &smtp
	}
	if c.SMS.Webhook != nil {
		wh := *c.SMS.Webhook
		wh.Secret = ""
		c.SMS.Webhook = &wh
	}
	return &cp
}
