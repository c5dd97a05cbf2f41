package spool

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

// TestEntriesOutliveAnOutage: entries added while Redis is away are kept
// and written once it is back, none lost; Add never blocks meanwhile.
func TestEntriesOutliveAnOutage(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
		WriteTimeout: 300 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	sp := New(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, 1000)
	go sp.Run()
	t.Cleanup(func() { sp.Close(time.Second) })

	add := func(from, to int) {
		for i := from; i < to; i++ {
			begin := time.Now()
			require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", strconv.Itoa(i)}, MaxLen: 10000}))
			require.Less(t, time.Since(begin), 50*time.Millisecond, "Add must not wait for Redis")
		}
	}
	add(0, 10)
	require.Eventually(t, func() bool { return rdb.XLen(t.Context(), "s").Val() == 10 }, 3*time.Second, 10*time.Millisecond)
	rs.Stop()
	add(10, 60)
	require.NoError(t, rs.Restart()) // no AOF: the stream starts empty again
	require.Eventually(t, func() bool { return rdb.XLen(t.Context(), "s").Val() >= 50 }, 10*time.Second, 20*time.Millisecond)
	msgs, err := rdb.XRange(t.Context(), "s", "-", "+").Result()
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.Values["n"].(string)] = true
	}
	for i := 10; i < 60; i++ {
		require.True(t, seen[strconv.Itoa(i)], "entry %d lost", i)
	}
	require.Zero(t, sp.Dropped())
}

// TestFullSpoolDrops: a full queue drops (and counts) instead of blocking.
func TestFullSpoolDrops(t *testing.T) {
	sp := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, 2) // never run
	require.True(t, sp.Add(Entry{Stream: "s"}))
	require.True(t, sp.Add(Entry{Stream: "s"}))
	require.False(t, sp.Add(Entry{Stream: "s"}))
	require.EqualValues(t, 1, sp.Dropped())
}
