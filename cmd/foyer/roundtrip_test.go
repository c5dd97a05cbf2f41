package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/batch"
	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// counter is a go-redis hook that counts round trips: each command, or each
// pipeline, is one.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// hotPath serves the app on a real socket against real Redis, with a round
// trip counter on the client.
type hotPath struct {
	url        string
	rtt        *counter
	client     *http.Client
	noRedirect *http.Client
	rdb        redis.UniversalClient
	app        *fiber.App
}

func newHotPath(tb testing.TB) *hotPath {
	tb.Helper()
	srv := redistest.Start(tb)
	o, err := redisOptions(srv.URL())
	require.NoError(tb, err)
	rdb := redis.NewUniversalClient(o)
	tb.Cleanup(func() { _ = rdb.Close() })
	rtt := &counter{}
	rdb.AddHook(rtt)
	ctx := context.Background()
	require.NoError(tb, ensureDemoTenant(ctx, tenant.NewStore(rdb, time.Now)))
	cfg, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	require.NoError(tb, err)
	cfg.Dev = true
	// Benchmarks open thousands of interactions from 127.0.0.1, the load
	// generator's setting (scripts/load-flow.sh).
	cfg.StartsPerMinute = 1_000_000
	hot := batch.New(rdb)
	tb.Cleanup(hot.Close)
	app, err := newApp(cfg, deps{rdb: rdb, hot: hot.Client(), log: slog.New(slog.NewTextHandler(io.Discard, nil)), logOut: io.Discard, now: time.Now,
		hasher: verification.NewHasher(verification.OWASPParams, 2), key: make([]byte, verification.SecretKeySize)})
	require.NoError(tb, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	go func() { _ = app.Listener(ln) }()
	tb.Cleanup(func() { _ = app.Shutdown() })
	return &hotPath{url: "http://localhost:" + strings.Split(ln.Addr().String(), ":")[1], rtt: rtt, client: &http.Client{},
		noRedirect: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		rdb:        rdb, app: app}
}

// call sends one API call as a same-origin SPA would and returns the
// status and the Redis round trips it cost.
func (h *hotPath) call(tb testing.TB, method, path, body, cookie string) (int, int64, *http.Response) {
	tb.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	require.NoError(tb, err)
	req.Header.Set("Origin", h.url)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", "foyer_ix="+cookie)
	}
	before := h.rtt.n.Load()
	resp, err := h.client.Do(req)
	require.NoError(tb, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, h.rtt.n.Load() - before, resp
}

func (h *hotPath) open(tb testing.TB) string { return h.openFor(tb, "Register") }

// signIn opens a SignIn interaction (no one identified yet).
func (h *hotPath) signIn(tb testing.TB) string { return h.openFor(tb, "SignIn") }

func (h *hotPath) openFor(tb testing.TB, event string) string {
	tb.Helper()
	status, _, resp := h.call(tb, http.MethodPut, "/api/interaction", `{"event":"`+event+`"}`, "")
	require.Equal(tb, http.StatusNoContent, status)
	for _, c := range resp.Cookies() {
		if c.Name == "foyer_ix" {
			return c.Value
		}
	}
	tb.Fatal("no interaction cookie")
	return ""
}

// TestRoundTripsPerCall holds ARCHITECTURE §4's cost rule: a read is one
// Redis round trip, an update two, tenant resolution included (cached).
func TestRoundTripsPerCall(t *testing.T) {
	h := newHotPath(t)
	id := h.open(t)
	// Warm up: the tenant cache, and the Lua scripts (a first EVALSHA
	// after Redis starts falls back to EVAL).
	h.call(t, http.MethodPut, "/api/interaction/event", `{"event":"SignIn"}`, id)
	h.call(t, http.MethodPatch, "/api/interaction/profile", `{"username":"ann"}`, id)

	tests := []struct {
		name, method, path, body string
		status                   int
		max                      int64
	}{
		{"read state", http.MethodGet, "/api/interaction", "", http.StatusOK, 1},
		{"change event", http.MethodPut, "/api/interaction/event", `{"event":"Register"}`, http.StatusNoContent, 2},
		{"restart", http.MethodPut, "/api/interaction", `{"event":"Register"}`, http.StatusNoContent, 2},
		{"registration options", http.MethodPost, "/api/interaction/verification/webauthn-registration", `{}`, http.StatusOK, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, rtt, _ := h.call(t, tt.method, tt.path, tt.body, id)
			require.Equal(t, tt.status, status)
			require.LessOrEqual(t, rtt, tt.max, "Redis round trips")
			require.Positive(t, rtt)
		})
	}
	// A new interaction: the per-address limit, then the create.
	status, rtt, _ := h.call(t, http.MethodPut, "/api/interaction", `{"event":"SignIn"}`, "")
	require.Equal(t, http.StatusNoContent, status)
	require.LessOrEqual(t, rtt, int64(2), "Redis round trips")
}

// BenchmarkInteraction measures the interaction read and update paths end
// to end: HTTP over loopback, Fiber, real Redis.
func BenchmarkInteraction(b *testing.B) {
	h := newHotPath(b)
	id := h.open(b)
	h.call(b, http.MethodPatch, "/api/interaction/profile", `{"username":"ann"}`, id)
	for _, bb := range []struct{ name, method, path, body string }{
		{"read", http.MethodGet, "/api/interaction", ""},
		{"update", http.MethodPut, "/api/interaction/event", `{"event":"Register"}`},
		{"webauthn-registration", http.MethodPost, "/api/interaction/verification/webauthn-registration", `{}`},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if status, _, _ := h.call(b, bb.method, bb.path, bb.body, id); status >= 300 {
					b.Fatalf("status %d", status)
				}
			}
		})
	}
}

// BenchmarkRegistrationOptionsParallel drives the perf anchor's call from
// many clients at once, as wrk does, for profiling the server under load.
func BenchmarkRegistrationOptionsParallel(b *testing.B) {
	h := newHotPath(b)
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = h.open(b)
		h.call(b, http.MethodPatch, "/api/interaction/profile", `{"username":"u`+strings.Repeat("x", i%7)+`"}`, ids[i])
	}
	h.client.Transport = &http.Transport{MaxIdleConnsPerHost: 128}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := ids[next.Add(1)%int64(len(ids))]
		for pb.Next() {
			if status, _, _ := h.call(b, http.MethodPost, "/api/interaction/verification/webauthn-registration", `{}`, id); status != http.StatusOK {
				b.Errorf("status %d", status)
				return
			}
		}
	})
}
