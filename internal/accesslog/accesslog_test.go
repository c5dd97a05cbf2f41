package accesslog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/httpx"
)

// TestLineAndRoute: one JSON line per request, with the route template
// (never the raw path, its ids or its query), the rendered status and the
// error code; unmatched paths are "unmatched".
func TestLineAndRoute(t *testing.T) {
	var buf bytes.Buffer
	var seen []Entry
	app := fiber.New(fiber.Config{ErrorHandler: httpx.ErrorHandler(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))})
	app.Use(Middleware(Options{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Observers: []func(Entry){func(e Entry) { seen = append(seen, e) }}}))
	app.Use(httpx.RequestContext(5e9))
	app.Get("/users/:id", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Post("/users/:id/fail", func(c *fiber.Ctx) error { return httpx.ErrTooMany })
	app.Use(func(c *fiber.Ctx) error { return httpx.ErrRouteNotFound })

	for _, tt := range []struct {
		method, path, route, code string
		status                    int
	}{
		{"GET", "/users/secret-id-123?token=abc", "/users/:id", "", 200},
		{"POST", "/users/secret-id-123/fail", "/users/:id/fail", "guard.too_many_requests", 429},
		{"GET", "/nowhere/secret-id-123", Unmatched, "request.not_found", 404},
	} {
		res, err := app.Test(httptest.NewRequest(tt.method, tt.path, nil))
		require.NoError(t, err)
		require.Equal(t, tt.status, res.StatusCode)
		e := seen[len(seen)-1]
		require.Equal(t, tt.route, e.Route)
		require.Equal(t, tt.status, e.Status)
		require.Equal(t, tt.code, e.Code)
		require.Equal(t, res.Header.Get("X-Request-Id"), e.RequestID)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		require.Equal(t, "request", m["msg"])
	}
	require.NotContains(t, buf.String(), "secret-id-123")
	require.NotContains(t, buf.String(), "token=abc")
}
