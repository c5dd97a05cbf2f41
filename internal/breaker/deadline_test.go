package breaker_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/breaker"
	"github.com/foyer-auth/foyer/internal/redistest"
)

// TestDeadlineBoundsAHungRedis: against a stopped redis-server, a command
// and a pipeline end with ErrTimeout after the hook's deadline, although
// go-redis's own timeouts would allow longer; a caller whose own deadline
// comes first sees context.DeadlineExceeded.
func TestDeadlineBoundsAHungRedis(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, ReadTimeout: 3 * time.Second,
		WriteTimeout: 3 * time.Second, ContextTimeoutEnabled: true, MaxRetries: 2})
	t.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(breaker.Deadline(150 * time.Millisecond))
	require.NoError(t, rdb.Ping(t.Context()).Err())

	rs.Pause()
	t.Cleanup(rs.Resume)

	start := time.Now()
	err := rdb.Get(t.Context(), "k").Err()
	require.ErrorIs(t, err, breaker.ErrTimeout)
	require.Less(t, time.Since(start), time.Second)

	start = time.Now()
	_, err = rdb.Pipelined(t.Context(), func(p redis.Pipeliner) error {
		p.Get(t.Context(), "a")
		p.Get(t.Context(), "b")
		return nil
	})
	require.ErrorIs(t, err, breaker.ErrTimeout)
	require.Less(t, time.Since(start), time.Second)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, rdb.Get(ctx, "k").Err(), context.DeadlineExceeded)

	rs.Resume()
	require.Eventually(t, func() bool { return rdb.Ping(t.Context()).Err() == nil }, 5*time.Second, 20*time.Millisecond)
}

// TestDeadlineLetsBlockingReadsWait: a stream consumer's XREADGROUP with
// BLOCK longer than the deadline waits its block time and answers "no
// entries", without a timeout, so the Breaker stays shut for every other
// command (a quiet wait is not a hung Redis).
func TestDeadlineLetsBlockingReadsWait(t *testing.T) {
	rs := redistest.Start(t)
	b := breaker.New(200*time.Millisecond, 20*time.Millisecond, time.Now)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, Limiter: b, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	rdb.AddHook(breaker.Deadline(100 * time.Millisecond))
	ctx := t.Context()
	require.NoError(t, rdb.XGroupCreateMkStream(ctx, "s", "g", "$").Err())

	start := time.Now()
	err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"},
		Block: 300 * time.Millisecond}).Err()
	require.ErrorIs(t, err, redis.Nil, "no entries, no timeout")
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "it waited its block time")
	require.False(t, b.Open(), "a quiet wait does not open the breaker")
	require.NoError(t, rdb.Ping(ctx).Err())
}
