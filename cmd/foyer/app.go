package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/management"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/redis/go-redis/v9"
)

// deps are the process-wide dependencies the app is built from.
type deps struct {
	rdb redis.UniversalClient
	log *slog.Logger
	now func() time.Time
	// hasher is shared by every tenant: its concurrency limit is per process.
	hasher *verification.Hasher
	key    []byte // FOYER_SECRET_KEY

	opsDeps
}

// bodyLimit bounds every request body: the largest legitimate one (a
// WebAuthn attestation with a certificate chain) is far below it. Bodies
// up to readLimit are read and then refused with a clean 413; fasthttp
// itself cuts off anything larger before reading it, which a client still
// writing may see as a reset connection instead of the 413.
const (
	bodyLimit = 64 << 10
	readLimit = 1 << 20
)

// newApp builds every handler package with its dependencies and mounts it.
// This is the one place that knows them all.
func newApp(cfg config, d deps) (*fiber.App, error) {
	mappings := []httpx.Mapping{
		httpx.MapIs(session.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(tenant.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(account.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(verification.ErrStorage, httpx.ErrUnavailable),
		httpx.MapIs(account.ErrConflict, httpx.New(fiber.StatusConflict, "user.conflict", "Too many concurrent changes to this account; please retry.")),
		httpx.MapIs(session.ErrConflict, httpx.New(fiber.StatusConflict, "session.conflict", "Too many concurrent changes; please retry.")),
		httpx.MapIs(context.DeadlineExceeded, httpx.ErrTimeout),
		// A document or user that vanished between two steps of a request.
		httpx.MapIs(session.ErrNotFound, interaction.ErrNotFound),
		httpx.MapIs(account.ErrNotFound, interaction.ErrUserNotExist),
	}
	app := fiber.New(fiber.Config{
		Immutable:             true, // values kept from a request must not change under us
		ErrorHandler:          httpx.ErrorHandler(d.log, mappings...),
		BodyLimit:             readLimit,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          10 * time.Second,
		IdleTimeout:           60 * time.Second,
		DisableStartupMessage: true,
		AppName:               "foyer",
	})
	app.Use(d.accessLog(mappings)) // outermost: sees the status the client gets
	// A panicking handler answers 500 through the ErrorHandler instead of
	// taking the process down.
	app.Use(recover.New())
	binder := httpx.NewBinder()
	tenants := tenant.NewStore(d.rdb, d.now)
	resolver := tenant.NewResolver(tenants, cfg.TenantCache, cfg.Dev, d.now)
	store, err := session.NewPipelinedStore(d.rdb)
	if err != nil {
		return nil, fmt.Errorf("redis autopipeline: %w", err)
	}
	box, err := verification.NewSecretBox(d.key)
	if err != nil {
		return nil, err
	}

	app.Use(httpx.RequestContext(cfg.ReqTimeout)) // probes get a request id too
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 500*time.Millisecond)
		defer cancel()
		if err := d.rdb.Ping(ctx).Err(); err != nil {
			return httpx.ErrUnavailable.WithCause(err)
		}
		return c.SendString("ok")
	})
	app.Use(httpx.BodyLimit(bodyLimit))

	// Routes are grouped under distinct prefixes: Fiber v2 group middleware
	// applies to every later route sharing the prefix.
	snd := senders(cfg.Dev, d)
	admin := &management.Handler{Tenants: tenants, Resolver: resolver, Binder: binder, AdminKey: cfg.AdminKey, BaseDomain: cfg.BaseDomain,
		Ops: d.adminOps(cfg, store, snd)}
	admin.Mount(app.Group("/api/admin"))

	tenantScoped := []fiber.Handler{
		resolver.Middleware(),
		httpx.CSRF(func(c *fiber.Ctx, origin string) bool { return tenant.From(c).AllowsOrigin(origin) }),
	}
	ix := &interaction.Handler{
		Service: &interaction.Service{
			Store:      store,
			Kind:       session.Kind{Prefix: "ix", TTL: cfg.IxTTL},
			Logins:     &session.Logins{Store: store, Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute, Now: d.now},
			Accounts:   account.NewStore(d.rdb, d.now),
			Hasher:     d.hasher,
			WebAuthn:   verification.NewWebAuthn(),
			TOTP:       &verification.TOTP{Box: box, Now: d.now},
			Senders:    snd,
			CodeKey:    d.key,
			SendLimits: interaction.DefaultSendLimits,
			Limiter:    verification.NewLimiter(d.rdb, d.now),
			Limits:     interaction.DefaultLimits,
			Now:        d.now,
			Recorder:   d.recorder,
		},
		Binder: binder,
	}
	ix.Mount(app.Group("/api/interaction", tenantScoped...))
	ix.MountSession(app.Group("/api/session", tenantScoped...))

	app.Use(func(c *fiber.Ctx) error { return httpx.ErrRouteNotFound })
	return app, nil
}

// senders picks a tenant's connector for one-time codes. Connectors are
// cheap values built from the tenant's settings on each send.
// Their outbound connections obey the egress rule.
func senders(dev bool, d deps) interaction.SenderFor {
	return func(t *tenant.Tenant, channel string) (connector.Sender, error) {
		c := t.Settings.Connectors
		typ := c.Email.Type
		if channel == "phone" {
			typ = c.SMS.Type
		}
		switch {
		case typ == "smtp" && c.Email.SMTP != nil:
			return d.countSender(channel, typ, connector.NewSMTP(*c.Email.SMTP, d.smtpOptions()...)), nil
		case typ == "webhook" && c.SMS.Webhook != nil:
			wh, err := connector.NewWebhook(*c.SMS.Webhook, d.webhookOptions()...)
			if err != nil {
				return nil, interaction.ErrConnectorAbsent.WithCause(err)
			}
			return d.countSender(channel, typ, wh), nil
		case dev && (typ == "log" || typ == "none"):
			return d.countSender(channel, "log", &connector.Log{Logger: d.log}), nil
		}
		return nil, interaction.ErrConnectorAbsent
	}
}
