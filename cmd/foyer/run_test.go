package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/session"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// requireDevCookie checks the interaction cookie of plain-http dev mode
// (ARCHITECTURE §5): foyer_ix, HttpOnly, SameSite=Lax, Path=/, not Secure
// (a browser drops Secure cookies on http://localhost).
func requireDevCookie(t *testing.T, r reply) *http.Cookie {
	t.Helper()
	raw := r.header.Values("Set-Cookie")
	require.Len(t, raw, 1, "Set-Cookie: %v", raw)
	c := findCookie(r.cookies, "foyer_ix")
	require.NotNil(t, c, "Set-Cookie: %v", raw)
	require.True(t, session.ValidID(c.Value), "cookie value %q is not a session id", c.Value)
	require.True(t, c.HttpOnly, "not HttpOnly: %s", raw[0])
	require.Equal(t, http.SameSiteLaxMode, c.SameSite, "Set-Cookie: %s", raw[0])
	require.Equal(t, "/", c.Path)
	require.False(t, c.Secure, "Secure on plain-http dev: %s", raw[0])
	require.NotContains(t, strings.ToLower(raw[0]), "secure")
	require.Equal(t, int(time.Hour/time.Second), c.MaxAge)
	return c
}

func TestRunEmbeddedStoreServesDemoTenant(t *testing.T) {
	srv := startFoyer(t, nil) // no FOYER_REDIS_URL: embedded miniredis

	r := srv.do(t, http.MethodPut, "/api/interaction", `{"event":"SignIn"}`)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	require.Empty(t, r.body)
	c := requireDevCookie(t, r)

	r = srv.do(t, http.MethodGet, "/api/interaction", "", c)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(t, "SignIn", r.event(t))

	// A host no tenant serves is refused.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1:"+srv.port+"/api/interaction", nil)
	require.NoError(t, err)
	req.Host = "evil.example"
	res, err := srv.client.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	require.Equal(t, 1, strings.Count(srv.stderr.String(), "in memory only"), "stderr:\n%s", srv.stderr.String())

	err, ok := srv.stop(t)
	require.True(t, ok)
	require.NoError(t, err, "graceful shutdown; stderr:\n%s", srv.stderr.String())
	require.Contains(t, srv.stderr.String(), "shutting down")
	_, err = http.Get("http://127.0.0.1:" + srv.port + "/healthz")
	require.Error(t, err, "still serving after run returned")
}

func TestRunRealRedisDevMode(t *testing.T) {
	rs := redistest.Start(t)
	vars := map[string]string{"FOYER_REDIS_URL": rs.URL(), "FOYER_DEV": "1"}
	srv := startFoyer(t, vars)

	r := srv.do(t, http.MethodPut, "/api/interaction", `{"event":"Register"}`)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	c := requireDevCookie(t, r)
	require.NotContains(t, srv.stderr.String(), "in memory only")

	// The interaction is where ARCHITECTURE §4 says, with its lifetime.
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	key := "foyer:ix:{" + c.Value + "}"
	fields, err := rdb.HGetAll(t.Context(), key).Result()
	require.NoError(t, err)
	require.Equal(t, "1", fields["v"])
	require.Contains(t, fields["doc"], `"event":"Register"`)
	ttl, err := rdb.PTTL(t.Context(), key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 59*time.Minute)

	// Restarting the event keeps the cookie and bumps the version.
	r = srv.do(t, http.MethodPut, "/api/interaction", `{"event":"SignIn"}`, c)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	require.Equal(t, c.Value, findCookie(r.cookies, "foyer_ix").Value)
	v, err := rdb.HGet(t.Context(), key, "v").Result()
	require.NoError(t, err)
	require.Equal(t, "2", v)

	err, ok := srv.stop(t)
	require.True(t, ok)
	require.NoError(t, err)

	// A second start on the same Redis finds the demo tenant and the
	// interaction still there.
	srv = startFoyer(t, vars)
	r = srv.do(t, http.MethodGet, "/api/interaction", "", c)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(t, "SignIn", r.event(t))
}

func TestRunRejectsBadConfigBeforeListening(t *testing.T) {
	port := freePort(t)
	var stderr syncBuffer
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"--admin-key", "short"}, func(k string) string {
		return map[string]string{"FOYER_ADDR": "127.0.0.1:" + port, "FOYER_INTERACTION_TTL": "soon"}[k]
	}, &stderr)
	require.ErrorContains(t, err, "FOYER_ADMIN_KEY")
	require.ErrorContains(t, err, "FOYER_INTERACTION_TTL")
	_, err = http.Get("http://127.0.0.1:" + port + "/healthz")
	require.Error(t, err)
}
