package oidc

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/rs/cors"

	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
)

// Mount registers the provider's endpoints on r, the /oidc group, which
// must resolve the tenant first. Only the provider's own paths are routed,
// so anything else under /oidc is Foyer's usual 404.
func (p *Provider) Mount(r fiber.Router) {
	withCORS := p.corsHandler(p.handler)
	plain := p.serve(p.handler)
	browser := p.serve(withCORS)
	// Endpoints an SPA calls cross-origin get CORS, preflight included.
	for _, path := range []string{"/.well-known/openid-configuration", "/keys"} {
		r.Get(path, browser)
		r.Options(path, browser)
	}
	for _, path := range []string{"/token", "/revoke"} {
		r.Post(path, browser)
		r.Options(path, browser)
	}
	r.Get("/userinfo", browser)
	r.Post("/userinfo", browser)
	r.Options("/userinfo", browser)
	// Endpoints a browser navigates to, or a server calls.
	r.Get("/auth", plain)
	r.Post("/auth", plain)
	r.Get("/auth/callback", plain)
	r.Get("/end_session", plain)
	r.Post("/end_session", plain)
	r.Post("/introspect", plain)
}

// noStore are the answers that carry tokens or claims (RFC 6749 §5.1).
var noStore = []string{"/token", "/userinfo", "/introspect", "/revoke"}

// serve runs the library's net/http router for one Fiber request: the
// request context is Fiber's user context (tenant, request id, deadline)
// plus the exchange; the answer is copied back, redirects as 303 (the
// browser must not repeat a POST to /auth on the next hop).
func (p *Provider) serve(h http.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t := tenant.From(c)
		req, err := adaptor.ConvertRequest(c, true)
		if err != nil {
			return httpx.ErrInvalidInput.WithCause(err)
		}
		path := strings.TrimPrefix(req.URL.Path, "/oidc")
		req.URL.Path, req.URL.RawPath, req.RequestURI = path, "", ""
		ex := &exchange{issuer: issuer(c.Get(fiber.HeaderHost), t.Dev, httpx.Scheme(c)),
			loginID: interaction.LoginSessionID(c)}
		req = req.WithContext(withExchange(c.UserContext(), ex))

		w := &responseWriter{header: http.Header{}, c: c}
		h.ServeHTTP(w, req)

		status := w.status
		if status == 0 {
			status = http.StatusOK
		}
		if status == http.StatusFound {
			status = http.StatusSeeOther
		}
		c.Status(status)
		for k, vv := range w.header {
			for _, v := range vv {
				c.Response().Header.Add(k, v)
			}
		}
		if slices.Contains(noStore, path) {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Set(fiber.HeaderPragma, "no-cache")
		}
		if path == "/userinfo" && status == http.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		}
		if ex.interactionID != "" {
			interaction.SetInteractionCookie(c, ex.interactionID, p.cfg.AuthRequestTTL)
		}
		if ex.clearLogin {
			interaction.ClearLoginCookie(c)
		}
		return nil
	}
}

// responseWriter writes a net/http answer into the Fiber response.
type responseWriter struct {
	header http.Header
	status int
	c      *fiber.Ctx
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.c.Response().BodyWriter().Write(b)
}

// corsHandler allows the origins the tenant's applications list
// (corsOrigins, by default an SPA's redirect URI origins) and nothing else,
// without credentials: these endpoints take a bearer token or client
// credentials in the request, never cookies.
func (p *Provider) corsHandler(next http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, origin string) (bool, []string) {
			t := tenant.FromContext(r.Context())
			if t == nil {
				return false, nil
			}
			origins, err := p.apps.Origins(r.Context(), t.ID)
			return err == nil && slices.Contains(origins, origin), nil
		},
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "Accept-Language"},
		MaxAge:         600,
	}).Handler(next)
}
