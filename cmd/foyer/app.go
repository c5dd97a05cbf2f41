package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/management"
	"github.com/foyer-auth/foyer/myaccount"
	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/resources"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/foyer-auth/foyer/web"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/redis/go-redis/v9"
)

// deps are the process-wide dependencies the app is built from.
type deps struct {
	rdb redis.UniversalClient
	log *slog.Logger
	// logOut is where log writes, in JSON when logJSON: the access log
	// writes its lines there directly. nil leaves them to log.
	logOut  io.Writer
	logJSON bool
	now     func() time.Time
	// ephemeral holds interactions and rate-limit counters, which may be
	// evicted (FOYER_EPHEMERAL_REDIS_URL); nil means rdb.
	ephemeral redis.UniversalClient
	// hot and ephemeralHot are the batching faces (package internal/batch)
	// of rdb and ephemeral, which the hot paths' stores send through. Each
	// belongs to its client: with ephemeral nil, ephemeralHot is hot.
	hot, ephemeralHot redis.Cmdable
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
		httpx.MapIs(oidc.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(enroll.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(policy.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(resources.ErrUnavailable, httpx.ErrUnavailable),
		httpx.MapIs(account.ErrConflict, httpx.New(fiber.StatusConflict, "user.conflict", "Too many concurrent changes to this account; please retry.")),
		httpx.MapIs(session.ErrConflict, httpx.New(fiber.StatusConflict, "session.conflict", "Too many concurrent changes; please retry.")),
		httpx.MapIs(context.DeadlineExceeded, httpx.ErrTimeout),
		// A document or user that vanished between two steps of a request.
		httpx.MapIs(session.ErrNotFound, interaction.ErrNotFound),
		httpx.MapIs(account.ErrNotFound, interaction.ErrUserNotExist),
	}
	proxies, err := httpx.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("FOYER_TRUSTED_PROXIES: %w", err)
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
		// fasthttp would parse a multipart body while reading it and answer
		// a bad one with a bare 400; every API here takes JSON and answers
		// anything else with 415.
		DisablePreParseMultipartForm: true,

		// Fiber's c.IP() with a ProxyHeader takes the left-most
		// X-Forwarded-For entry, which the client writes, and c.Protocol()
		// believes X-Forwarded-Proto from anyone unless proxies are checked.
		// Trusting no proxy here makes both report the connection;
		// httpx.ClientInfo is the one place that reads forwarding headers.
		EnableTrustedProxyCheck: true,
	})
	app.Use(d.accessLog(mappings)) // outermost: sees the status the client gets
	// First of all: refuse ambiguous framing (and close the connection)
	// before anything reads the request. The error handler marks its own
	// answers nosniff.
	app.Use(httpx.StrictFraming())
	// A panicking handler answers 500 through the ErrorHandler instead of
	// taking the process down.
	app.Use(recover.New())
	// The client's address and scheme, then the headers that depend on the
	// scheme (HSTS only over https, as a trusted proxy reports it).
	app.Use(httpx.ClientInfo(proxies, d.log), httpx.SecurityHeaders(!cfg.Dev))
	binder := httpx.NewBinder()
	tenants := tenant.NewStore(d.rdb, d.now)
	resolver := tenant.NewResolver(tenants, cfg.TenantCache, cfg.Dev, d.now)
	if d.ephemeral == nil {
		d.ephemeral, d.ephemeralHot = d.rdb, d.hot
	}
	if d.hot == nil || d.ephemeralHot == nil {
		// A face of the other client would send to the wrong Redis.
		return nil, errors.New("redis: each client needs its batching face")
	}
	// Interactions live in the Redis that may evict; login sessions do not,
	// since a password reset ends every session it finds in the user's
	// session index, which must not vanish before the sessions do.
	ixStore := session.NewPipelinedStore(d.ephemeral, d.ephemeralHot)
	loginStore := ixStore
	if d.ephemeral != d.rdb {
		loginStore = session.NewPipelinedStore(d.rdb, d.hot)
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
		if err := ready(ctx, d.rdb, d.ephemeral); err != nil {
			return httpx.ErrUnavailable.WithCause(err)
		}
		return c.SendString("ok")
	})
	app.Use(httpx.BodyLimit(bodyLimit))

	// Routes are grouped under distinct prefixes: Fiber v2 group middleware
	// applies to every later route sharing the prefix.
	// Applications and signing keys are cached in process as long as
	// tenants are: the time other replicas take to see an admin change.
	apps := oidc.NewApplications(d.rdb, d.now, cfg.TenantCache)
	keys := oidc.NewKeys(d.rdb, box, d.now, cfg.TenantCache)
	snd := senders(cfg.Dev, d)
	policies := policy.NewStore(d.rdb, cfg.TenantCache, d.now)
	admin := &management.Handler{Tenants: tenants, Resolver: resolver, Binder: binder, AdminKey: cfg.AdminKey, BaseDomain: cfg.BaseDomain,
		Applications: apps, SigningKeys: keys, Ops: d.adminOps(cfg, loginStore, snd), Policies: policies}
	admin.Mount(app.Group("/api/admin"))

	tenantScoped := []fiber.Handler{
		resolver.Middleware(),
		httpx.CSRF(func(c *fiber.Ctx, origin string) bool { return tenant.From(c).AllowsOrigin(origin) }),
	}
	accounts := account.NewPipelinedStore(d.rdb, d.hot, d.now)
	webAuthn := verification.NewWebAuthn()
	// The one enrollment core: the interaction, the account API and the
	// ZITADEL- and Mailcheap-style surfaces all enrol credentials through it.
	// Pending ceremonies live in the Redis that may evict, like interactions.
	enrollment := &enroll.Core{WebAuthn: webAuthn, Accounts: accounts, Redis: d.ephemeral, Now: d.now}
	limits := interaction.DefaultLimits
	limits.StartsPerIP.N = cfg.StartsPerMinute
	ix := &interaction.Handler{
		Service: &interaction.Service{
			Store:      ixStore,
			Kind:       session.Kind{Prefix: "ix", TTL: cfg.IxTTL},
			Logins:     &session.Logins{Store: loginStore, Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute, Now: d.now},
			Accounts:   accounts,
			Hasher:     d.hasher,
			WebAuthn:   webAuthn,
			Enroll:     enrollment,
			TOTP:       &verification.TOTP{Box: box, Now: d.now},
			Senders:    snd,
			CodeKey:    d.key,
			SendLimits: interaction.DefaultSendLimits,
			Limiter:    verification.NewLimiter(d.ephemeral, d.ephemeralHot, d.now),
			Limits:     limits,
			Now:        d.now,
			Recorder:   d.recorder,
		},
		Binder: binder,
	}
	ix.Mount(app.Group("/api/interaction", tenantScoped...))
	ix.MountSession(app.Group("/api/session", tenantScoped...))

	// The OpenID Provider: no CSRF middleware, its endpoints take forms
	// and answer other origins by their own rules (CORS per application).
	provider, err := oidc.New(oidc.Config{AuthRequestTTL: cfg.IxTTL}, oidc.Deps{
		Redis: d.rdb, Hot: d.hot, Applications: apps, Keys: keys, Logins: ix.Service.Logins, Accounts: ix.Service.Accounts,
		Interactions: ix.Service, SecretKey: d.key, Now: d.now,
	})
	if err != nil {
		return nil, err
	}
	ix.Service.Finisher = provider
	provider.Mount(app.Group("/oidc", resolver.Middleware()))

	pages, err := web.New()
	if err != nil {
		return nil, fmt.Errorf("hosted pages: %w", err)
	}
	pages.Mount(app, resolver.Middleware())

	// The account API and the enrolment surfaces outside the interaction.
	// They authenticate with a bearer token or Basic credentials, never a
	// cookie, and a browser attaches neither to a cross-site request on
	// its own: the cookie CSRF middleware has nothing to guard here (and
	// would refuse the seeds' bodiless POSTs from API clients for nothing).
	// The tenant comes from the Host; X-Tenant-ID must agree with it.
	me := &myaccount.Handler{
		Service: &myaccount.Service{
			Accounts: accounts, Enroll: enrollment, Policies: policies, Hasher: d.hasher,
			TOTP: ix.Service.TOTP, Logins: ix.Service.Logins, Limiter: ix.Service.Limiter,
			Ephemeral: d.ephemeral, Now: d.now,
		},
		Tokens: provider, Binder: binder,
	}
	me.Mount(app.Group("/v1/users/me", resolver.Middleware()))
	me.MountBasic(app.Group("/api/v1/webauthn/registration", resolver.Middleware()))
	users := &resources.Handler{Accounts: accounts, Enroll: enrollment, Policies: policies, Tokens: provider,
		Codes: d.ephemeral, Senders: resources.SenderFor(snd), Binder: binder}
	users.Mount(app.Group("/resources/v3alpha/users", resolver.Middleware()))

	// Last: 404, or 405 with Allow for a path served for other methods.
	app.Use(httpx.NotFound(app.GetRoutes(true)))
	return app, nil
}

// readyKey is the key /readyz writes.
const readyKey = "foyer:readyz"

// ready writes a short-lived key to each Redis: one that answers PING may
// still refuse every write (out of memory under maxmemory with noeviction,
// MISCONF after a failed save, a read-only replica, too few replicas), and
// then Foyer can serve nothing. In a Cluster the key lives on one node.
func ready(ctx context.Context, rdbs ...redis.UniversalClient) error {
	for i, rdb := range rdbs {
		if i > 0 && rdb == rdbs[0] {
			continue
		}
		if err := rdb.Set(ctx, readyKey, "1", 2*time.Second).Err(); err != nil {
			return err
		}
	}
	return nil
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
