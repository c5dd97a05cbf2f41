package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

func TestCSRF(t *testing.T) {
	const own = "https://app.example"
	app, _ := newApp(t)
	app.Use(httpx.CSRF(func(c *fiber.Ctx, origin string) bool { return origin == own }))
	ok := func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) }
	app.Get("/x", ok)
	app.Head("/x", ok)
	app.Options("/x", ok)
	app.Post("/x", ok)
	app.Put("/x", ok)
	app.Patch("/x", ok)
	app.Delete("/x", ok)

	const json = "application/json"
	tests := []struct {
		name   string
		method string
		ct     string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"GET cross-site passes", http.MethodGet, "", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 204, ""},
		{"HEAD passes", http.MethodHead, "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 204, ""},
		{"OPTIONS passes", http.MethodOptions, "", "", map[string]string{"Origin": "https://evil.example"}, 204, ""},
		{"same origin", http.MethodPost, json, `{}`, map[string]string{"Origin": own, "Sec-Fetch-Site": "same-origin"}, 204, ""},
		{"same origin json charset", http.MethodPut, json + "; charset=utf-8", `{}`, map[string]string{"Origin": own}, 204, ""},
		{"same origin by fetch metadata", http.MethodPatch, json, `{}`, map[string]string{"Sec-Fetch-Site": "same-origin"}, 204, ""},
		{"user-initiated navigation", http.MethodPost, json, `{}`, map[string]string{"Sec-Fetch-Site": "none"}, 204, ""},
		{"non-browser client", http.MethodPost, json, `{}`, nil, 204, ""},
		{"DELETE without body", http.MethodDelete, "", "", map[string]string{"Origin": own}, 204, ""},
		// A bodiless fetch() (POST /submit) sends no Content-Type; the origin
		// checks still apply to it.
		{"bodiless POST same origin", http.MethodPost, "", "", map[string]string{"Origin": own}, 204, ""},
		{"bodiless POST cross-site origin", http.MethodPost, "", "", map[string]string{"Origin": "https://evil.example"}, 403, "guard.cross_site_request"},
		{"bodiless POST cross-site fetch metadata", http.MethodPost, "", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "guard.cross_site_request"},

		{"cross-site origin", http.MethodPost, json, `{}`, map[string]string{"Origin": "https://evil.example"}, 403, "guard.cross_site_request"},
		{"cross-site origin on PUT", http.MethodPut, json, `{}`, map[string]string{"Origin": "https://app.example.evil.example"}, 403, "guard.cross_site_request"},
		{"http downgrade of own origin", http.MethodPost, json, `{}`, map[string]string{"Origin": "http://app.example"}, 403, "guard.cross_site_request"},
		{"null origin", http.MethodPost, json, `{}`, map[string]string{"Origin": "null"}, 403, "guard.cross_site_request"},
		{"origin with path", http.MethodPost, json, `{}`, map[string]string{"Origin": own + "/x"}, 403, "guard.cross_site_request"},
		{"origin with userinfo", http.MethodPost, json, `{}`, map[string]string{"Origin": "https://user@app.example"}, 403, "guard.cross_site_request"},
		{"origin with empty userinfo", http.MethodPost, json, `{}`, map[string]string{"Origin": "https://@app.example"}, 403, "guard.cross_site_request"},
		{"origin with trailing slash", http.MethodPost, json, `{}`, map[string]string{"Origin": own + "/"}, 403, "guard.cross_site_request"},
		{"origin with query", http.MethodPost, json, `{}`, map[string]string{"Origin": own + "?x"}, 403, "guard.cross_site_request"},
		{"origin not a URL", http.MethodPost, json, `{}`, map[string]string{"Origin": "app.example"}, 403, "guard.cross_site_request"},
		{"cross-site fetch metadata", http.MethodPost, json, `{}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "guard.cross_site_request"},
		{"same-site sibling", http.MethodPost, json, `{}`, map[string]string{"Sec-Fetch-Site": "same-site"}, 403, "guard.cross_site_request"},
		{"cross-site DELETE", http.MethodDelete, "", "", map[string]string{"Origin": "https://evil.example"}, 403, "guard.cross_site_request"},

		{"text/plain POST", http.MethodPost, "text/plain", `{}`, map[string]string{"Origin": own}, 415, "guard.invalid_content_type"},
		{"text/plain POST cross-site", http.MethodPost, "text/plain", `{}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 415, "guard.invalid_content_type"},
		{"form POST", http.MethodPost, "application/x-www-form-urlencoded", `a=b`, nil, 415, "guard.invalid_content_type"},
		{"multipart POST", http.MethodPost, "multipart/form-data; boundary=x", "--x--", nil, 415, "guard.invalid_content_type"},
		{"POST with body but no type", http.MethodPost, "", `{}`, nil, 415, "guard.invalid_content_type"},
		{"form POST with empty body", http.MethodPost, "application/x-www-form-urlencoded", "", map[string]string{"Origin": own}, 415, "guard.invalid_content_type"},
		{"DELETE with text body", http.MethodDelete, "text/plain", "x", nil, 415, "guard.invalid_content_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/x", strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			res := do(t, app, req)
			require.Equal(t, tt.status, res.status, res.body)
			if tt.code != "" {
				require.Equal(t, tt.code, res.env["code"])
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name      string
		hsts      bool
		proto     string
		wantHSTS  bool
		handlerOK bool
	}{
		{"dev over http", false, "", false, true},
		{"dev over https", false, "https", false, true},
		{"production over https", true, "https", true, true},
		{"production over plain http", true, "", false, true},
		{"production error over https", true, "https", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, _ := newApp(t)
			// The scheme a proxy reports counts only from a trusted proxy.
			trusted, err := httpx.ParseProxies("0.0.0.0/0,::/0")
			require.NoError(t, err)
			app.Use(httpx.ClientInfo(trusted, nil), httpx.SecurityHeaders(tt.hsts))
			app.Get("/x", func(c *fiber.Ctx) error {
				if !tt.handlerOK {
					return httpx.ErrCrossSite
				}
				return c.SendString("ok")
			})
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			res := do(t, app, req)
			require.Equal(t, "nosniff", res.header.Get("X-Content-Type-Options"))
			if tt.wantHSTS {
				require.Equal(t, "max-age=31536000", res.header.Get("Strict-Transport-Security"))
			} else {
				require.Empty(t, res.header.Get("Strict-Transport-Security"))
			}
		})
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	app, _ := newApp(t)
	ok := func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) }
	g := app.Group("/api/things", func(c *fiber.Ctx) error { return c.Next() })
	g.Get("/", ok)
	g.Put("/", ok)
	g.Post("/submit", ok)
	g.Patch("/:id", ok)
	app.Use(httpx.NotFound(app.GetRoutes(true)))

	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodGet, "/api/things", 204, "", ""},
		{http.MethodDelete, "/api/things", 405, "request.method_not_allowed", "GET, HEAD, PUT"},
		{http.MethodGet, "/api/things/submit", 405, "request.method_not_allowed", "PATCH, POST"},
		{http.MethodDelete, "/api/things/42", 405, "request.method_not_allowed", "PATCH"},
		{http.MethodGet, "/api/nothing", 404, "request.not_found", ""},
		{http.MethodGet, "/api/things/42/more", 404, "request.not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := do(t, app, httptest.NewRequest(tt.method, tt.path, nil))
			require.Equal(t, tt.status, res.status, res.body)
			require.Equal(t, tt.allow, res.header.Get("Allow"))
			if tt.code != "" {
				require.Equal(t, tt.code, res.env["code"])
			}
		})
	}
}

func TestSafeRedirect(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"/", true},
		{"/account", true},
		{"/a/b?c=d#e", true},
		{"/%2F%2Fevil.test", true}, // percent-encoded: a path on this host
		{"https://app.example/done", true},
		{"HTTPS://app.example", true},
		{"http://localhost:3000/cb", true},
		{"http://127.0.0.1/cb", true},
		{"http://[::1]:8080/cb", true},

		{"", false},
		{"//evil.test", false},
		{"/\\evil.test", false},
		{"/\t/evil.test", false},
		{"/\n/evil.test", false},
		{"/\r\n", false},
		{"/\x00/", false},
		{"/\x7f", false},
		{" /x", false},
		{"/x y", false},
		{"/\u00a0", false},
		{"/a\\b", false},
		{"https://app.example\\@evil.test", false},
		{"https://app.example@evil.test/", false},
		{"https://@evil.test/", false},
		{"http://app.example/", false},
		{"javascript:alert(1)", false},
		{"data:text/html,x", false},
		{"https:evil.test", false},
		{"https:///evil.test", false},
		{"evil.test", false},
		{"./x", false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			require.Equal(t, tt.ok, httpx.SafeRedirect(tt.uri), "SafeRedirect(%q)", tt.uri)
		})
	}
}

// TestRequestIDFromTrustedProxyOnly: a request id is taken from the
// request only when a trusted proxy sent it, and only in a safe form;
// otherwise a new one is made. Either way it is echoed.
func TestRequestIDFromTrustedProxyOnly(t *testing.T) {
	all, err := httpx.ParseProxies("0.0.0.0/0,::/0")
	require.NoError(t, err)
	tests := []struct {
		name    string
		proxies httpx.Proxies
		sent    string
		kept    bool
	}{
		{"untrusted peer", httpx.Proxies{}, "abc-123", false},
		{"trusted proxy", all, "abc-123", true},
		{"trusted proxy, unsafe id", all, "abc\x01123", false},
		{"trusted proxy, overlong id", all, strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(httpx.ClientInfo(tt.proxies, nil), httpx.RequestContext(time.Second))
			app.Get("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set("X-Request-Id", tt.sent)
			got := do(t, app, req).header.Get("X-Request-Id")
			require.NotEmpty(t, got)
			require.Equal(t, tt.kept, got == tt.sent, "got %q, sent %q", got, tt.sent)
		})
	}
}
