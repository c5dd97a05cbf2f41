package tenant

import (
	"context"
	originpkg "github.com/foyer-auth/foyer/internal/origin"
	"slices"
	"strings"
	"time"
)

// Tenant is one isolated customer: its own users, settings and hosts.
type Tenant struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Hosts     []string  `json:"hosts"`
	Settings  Settings  `json:"settings"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Dev marks a tenant that also accepts plain-http origins on any port of
	// its hosts (the demo tenant, or any tenant when Foyer runs in dev mode).
	Dev bool `json:"-"`
}

// Name is what people see the tenant called: its display name, or its slug.
func (t *Tenant) Name() string {
	if t.Settings.DisplayName != "" {
		return t.Settings.DisplayName
	}
	return t.Slug
}

// RPID is the WebAuthn relying-party id: the configured one, or the first host.
func (t *Tenant) RPID() string {
	if t.Settings.RPID != "" {
		return t.Settings.RPID
	}
	if len(t.Hosts) > 0 {
		return t.Hosts[0]
	}
	return ""
}

// Origins lists the exact origins WebAuthn and CSRF checks accept:
// https://<host> for each host, plus configured ones.
func (t *Tenant) Origins() []string {
	out := make([]string, 0, len(t.Hosts)+len(t.Settings.Origins))
	for _, h := range t.Hosts {
		out = append(out, "https://"+h)
	}
	return append(out, t.Settings.Origins...)
}

// AllowsOrigin reports whether a browser origin belongs to this tenant. In dev
// mode plain http on any port of a tenant host is allowed too.
func (t *Tenant) AllowsOrigin(origin string) bool {
	if slices.Contains(t.Settings.Origins, origin) {
		return true
	}
	o, ok := originpkg.Parse(origin)
	if !ok || !slices.Contains(t.Hosts, o.Host) {
		return false
	}
	switch o.Scheme {
	case "https":
		return o.Port == "" || t.Dev
	case "http":
		return t.Dev
	}
	return false
}

// Store is what the HTTP layer needs from tenants.
type contextKey struct{}

// WithTenant returns a context carrying t.
func WithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, contextKey{}, t)
}

// FromContext returns the tenant the request was resolved to.
func FromContext(ctx context.Context) *Tenant {
	t, _ := ctx.Value(contextKey{}).(*Tenant)
	return t
}

// NormalizeHost lower-cases a Host header value and strips its port.
func NormalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") {
		if i := strings.Index(h, "]"); i > 0 {
			return h[1:i]
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[:i], ":") {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}
