package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

// TestEphemeralRedis: with FOYER_EPHEMERAL_REDIS_URL, interactions and
// rate-limit counters live in the second Redis, every one of them with a
// lifetime (so that an eviction policy such as volatile-lru may take any),
// and users, tenants and login sessions stay in the first. Losing every
// ephemeral key costs an interaction in progress, no account; and /readyz
// follows both servers.
func TestEphemeralRedis(t *testing.T) {
	t.Parallel()
	durable := redistest.Start(t)
	ephemeral := redistest.Start(t, "--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru")
	f := startFoyerOn(t, durable, map[string]string{"FOYER_EPHEMERAL_REDIS_URL": ephemeral.URL()})
	eph := redis.NewClient(&redis.Options{Addr: ephemeral.Addr})
	t.Cleanup(func() { _ = eph.Close() })
	ctx := t.Context()

	c := f.Demo()
	signUp(t, c, "kim", "kim@example.com", strongPassword)
	signOut(t, c)
	requireError(t, signIn(t, c, "username", "kim", "not the password"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	pending := f.Demo()
	start(t, pending, "Register")

	keys := func(rdb *redis.Client) []string {
		var out []string
		iter := rdb.Scan(ctx, 0, "foyer:*", 100).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		require.NoError(t, iter.Err())
		return out
	}
	prefixes := func(ks []string) map[string]bool {
		out := map[string]bool{}
		for _, k := range ks {
			p, _, _ := strings.Cut(strings.TrimPrefix(k, "foyer:"), ":")
			out[p] = true
		}
		return out
	}
	ephKeys := keys(eph)
	got := prefixes(ephKeys)
	require.True(t, got["ix"] && got["rl"], "ephemeral keys %v", ephKeys)
	delete(got, "readyz")
	require.Len(t, got, 2, "ephemeral keys %v", ephKeys)
	for _, k := range ephKeys {
		ttl, err := eph.PTTL(ctx, k).Result()
		require.NoError(t, err)
		require.Positive(t, ttl, "%s has no lifetime", k)
	}
	durableKeys := keys(f.Redis)
	got = prefixes(durableKeys)
	require.False(t, got["ix"] || got["rl"], "durable keys %v", durableKeys)
	require.True(t, got["t"], "users and tenants stay durable: %v", durableKeys)

	// Everything ephemeral evicted: the pending interaction is gone, the
	// account and a login session are not.
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "kim", strongPassword).Status)
	submitOK(t, c)
	require.NoError(t, eph.FlushAll(ctx).Err())
	requireError(t, pending.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodGet, "/api/session", nil).Status, "the login session is durable")
	signOut(t, c)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "kim", strongPassword).Status)
	submitOK(t, c)

	require.Equal(t, http.StatusOK, c.Do(t, http.MethodGet, "/readyz", nil).Status)
	require.NoError(t, eph.ConfigSet(ctx, "min-replicas-to-write", "1").Err())
	requireError(t, c.Do(t, http.MethodGet, "/readyz", nil), http.StatusServiceUnavailable, "storage.unavailable")
	require.NoError(t, eph.ConfigSet(ctx, "min-replicas-to-write", "0").Err())
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodGet, "/readyz", nil).Status)
}
