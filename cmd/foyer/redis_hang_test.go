package main

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/stretchr/testify/require"
)

// TestRedisHang: a Redis that accepts connections but answers nothing
// (SIGSTOP) turns every call that needs it into 503 storage.unavailable
// well under a second, also when many requests arrive at once and hold
// every pooled connection; after SIGCONT Foyer recovers by itself.
func TestRedisHang(t *testing.T) {
	rs := redistest.Start(t)
	srv := startFoyer(t, map[string]string{"FOYER_REDIS_URL": rs.URL(), "FOYER_DEV": "1"})
	c := srv.startInteraction(t)
	require.Equal(t, http.StatusOK, srv.do(t, http.MethodGet, "/api/interaction", "", c).status)

	rs.Pause()
	t.Cleanup(rs.Resume)

	const fast = time.Second
	calls := []struct {
		name, method, path, body string
	}{
		{"read interaction", http.MethodGet, "/api/interaction", ""},
		{"change event", http.MethodPut, "/api/interaction/event", `{"event":"Register"}`},
		{"restart interaction", http.MethodPut, "/api/interaction", `{"event":"Register"}`},
		{"new interaction", http.MethodPut, "/api/interaction", `{"event":"SignIn"}`},
		{"readiness", http.MethodGet, "/readyz", ""},
	}
	// Rounds are spaced so that some calls meet a fresh hang, some a known
	// one, and some carry the probe that checks whether Redis is back.
	for round := range 4 {
		time.Sleep(time.Duration(round) * 150 * time.Millisecond)
		for _, tt := range calls {
			cookies := []*http.Cookie{c}
			if tt.name == "new interaction" {
				cookies = nil
			}
			r := srv.do(t, tt.method, tt.path, tt.body, cookies...)
			require.Equal(t, http.StatusServiceUnavailable, r.status, "%s: body %s", tt.name, r.body)
			require.Equal(t, "storage.unavailable", r.code(t), tt.name)
			require.Less(t, r.took, fast, "%s (round %d) took %v", tt.name, round, r.took)
			t.Logf("round %d, %s: %d in %v", round, tt.name, r.status, r.took)
		}
	}

	// Steady load from many clients for a while, more than pooled
	// connections: some requests carry the probes that check whether Redis
	// is back, and wait out a timeout; none may wait longer.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	n, quick := 0, 0
	until := time.Now().Add(1500 * time.Millisecond)
	for w := range 24 {
		wg.Go(func() {
			for time.Now().Before(until) {
				tt := calls[w%2]
				r := srv.do(t, tt.method, tt.path, tt.body, c)
				mu.Lock()
				slowest, n = max(slowest, r.took), n+1
				if r.took < 100*time.Millisecond {
					quick++
				}
				mu.Unlock()
				if r.status != http.StatusServiceUnavailable || r.took >= fast {
					t.Errorf("%s under load: %d in %v: %s", tt.name, r.status, r.took, r.body)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d requests under load: %d within 100 ms, slowest %v", n, quick, slowest)
	require.Greater(t, quick, n*3/4, "most requests should fail at once, not wait out a timeout")

	rs.Resume()
	start := time.Now()
	require.Eventually(t, func() bool {
		return srv.do(t, http.MethodGet, "/api/interaction", "", c).status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond, "no recovery after SIGCONT")
	t.Logf("recovered %v after SIGCONT", time.Since(start))
	r := srv.do(t, http.MethodPut, "/api/interaction/event", `{"event":"Register"}`, c)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	require.Equal(t, http.StatusOK, srv.do(t, http.MethodGet, "/readyz", "").status)
}
