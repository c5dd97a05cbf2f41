package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/stretchr/testify/require"
)

// TestRedisOutage: when Redis goes away Foyer answers fast 503s instead of
// hanging, stays alive (/healthz) but not ready (/readyz), and recovers on
// its own once Redis is back, without a restart of Foyer.
func TestRedisOutage(t *testing.T) {
	// AOF so that the demo tenant and the interaction survive the restart,
	// as they would on a production Redis.
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	srv := startFoyer(t, map[string]string{"FOYER_REDIS_URL": rs.URL(), "FOYER_DEV": "1"})

	c := srv.startInteraction(t)
	r := srv.do(t, http.MethodGet, "/api/interaction", "", c)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(t, http.StatusOK, srv.do(t, http.MethodGet, "/readyz", "").status)

	rs.Stop()

	const fast = time.Second
	outage := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"restart interaction", http.MethodPut, "/api/interaction", `{"event":"Register"}`, 503, "storage.unavailable"},
		{"read interaction", http.MethodGet, "/api/interaction", "", 503, "storage.unavailable"},
		{"readiness", http.MethodGet, "/readyz", "", 503, "storage.unavailable"},
		{"liveness", http.MethodGet, "/healthz", "", 200, ""},
	}
	for _, tt := range outage {
		r := srv.do(t, tt.method, tt.path, tt.body, c)
		require.Equal(t, tt.status, r.status, "%s: body %s", tt.name, r.body)
		require.Equal(t, tt.code, r.code(t), tt.name)
		require.Less(t, r.took, fast, "%s took %v", tt.name, r.took)
		t.Logf("%s during outage: %d in %v", tt.name, r.status, r.took)
	}
	// Without a cookie, creating a new interaction fails just as fast.
	r = srv.do(t, http.MethodPut, "/api/interaction", `{"event":"SignIn"}`)
	require.Equal(t, http.StatusServiceUnavailable, r.status, "body: %s", r.body)
	require.Equal(t, "storage.unavailable", r.code(t))
	require.Less(t, r.took, fast)

	require.NoError(t, rs.Restart())

	deadline := time.Now().Add(5 * time.Second)
	start := time.Now()
	for {
		r = srv.do(t, http.MethodGet, "/api/interaction", "", c)
		if r.status == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "not recovered within 5s: %d %s", r.status, r.body)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("recovered %v after Redis restarted", time.Since(start))
	require.Equal(t, "SignIn", r.event(t), "the interaction should survive the outage")

	r = srv.do(t, http.MethodPut, "/api/interaction", `{"event":"Register"}`, c)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	require.Equal(t, c.Value, findCookie(r.cookies, "foyer_ix").Value)
	r = srv.do(t, http.MethodGet, "/api/interaction", "", c)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "Register", r.event(t))
	require.Equal(t, http.StatusOK, srv.do(t, http.MethodGet, "/readyz", "").status)
}
