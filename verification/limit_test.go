package verification_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/batch"
	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/verification"
)

func TestAddressKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, verification.AddressKey(tt.in), tt.in)
	}
}

// TestLimiterQuietBuckets: a full Quiet bucket answers ErrQuietLimit and
// leaves the attempt counted in the other buckets; a full visible bucket
// answers a *LimitError and counts nothing; Release takes an attempt back.
// The same with the checks sent directly and through the batching client
// the server uses, on a fresh Redis each (whose script cache is empty:
// the first pipelined check falls back to sending the script).
func TestLimiterQuietBuckets(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		testLimiterQuietBuckets(t, func(rdb *redis.Client) redis.Cmdable { return rdb })
	})
	t.Run("batched", func(t *testing.T) {
		testLimiterQuietBuckets(t, func(rdb *redis.Client) redis.Cmdable {
			b := batch.New(rdb)
			t.Cleanup(b.Close)
			return b.Client()
		})
	})
}

func testLimiterQuietBuckets(t *testing.T, hot func(*redis.Client) redis.Cmdable) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := t.Context()
	l := verification.NewLimiter(rdb, hot(rdb), time.Now)
	visible := verification.Bucket{Scope: "v", Value: "a", Limit: verification.Limit{N: 4, Window: time.Minute}}
	quiet := verification.Bucket{Scope: "q", Value: "a", Limit: verification.Limit{N: 2, Window: time.Minute}, Quiet: true}
	count := func(scope string) int64 {
		keys, err := rdb.Keys(ctx, "foyer:rl:{"+scope+":*").Result()
		require.NoError(t, err)
		require.Len(t, keys, 1)
		return rdb.ZCard(ctx, keys[0]).Val()
	}

	for range 2 {
		_, err := l.Hit(ctx, "t1", visible, quiet)
		require.NoError(t, err)
	}
	res, err := l.Hit(ctx, "t1", visible, quiet)
	require.ErrorIs(t, err, verification.ErrQuietLimit)
	require.Equal(t, int64(3), count("v"), "a quietly refused attempt still counts")
	require.Equal(t, int64(2), count("q"))
	l.Release(ctx, res)
	require.Equal(t, int64(2), count("v"))

	_, err = l.Hit(ctx, "t1", visible, quiet)
	require.ErrorIs(t, err, verification.ErrQuietLimit)
	_, err = l.Hit(ctx, "t1", visible, quiet)
	require.ErrorIs(t, err, verification.ErrQuietLimit)
	_, err = l.Hit(ctx, "t1", visible, quiet)
	var le *verification.LimitError
	require.ErrorAs(t, err, &le, "the visible bucket is full: it wins")
	require.Positive(t, le.RetryAfter)
	require.Equal(t, int64(4), count("v"))
	require.Equal(t, int64(2), count("q"))

	// Other tenants count apart.
	_, err = l.Hit(ctx, "t2", visible, quiet)
	require.NoError(t, err)
}
