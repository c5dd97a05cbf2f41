package spool

import (
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
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

// TestTrimByAgeAtMostEveryMinute: a stream is trimmed by age at most once
// a minute, not once per entry.
func TestTrimByAgeAtMostEveryMinute(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	var trims atomic.Int64
	rdb.AddHook(redistest.Observer{Seen: func(cmd redis.Cmder) {
		if cmd.Name() == "xtrim" {
			trims.Add(1)
		}
	}})
	var clock atomic.Int64
	clock.Store(time.Now().UnixMilli())
	now := func() time.Time { return time.UnixMilli(clock.Load()) }

	sp := New(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), now, 100)
	go sp.Run()
	t.Cleanup(func() { sp.Close(time.Second) })
	add := func(n int) {
		require.True(t, sp.Add(Entry{Stream: "audit", Values: []string{"n", strconv.Itoa(n)}, MinAge: time.Hour}))
		require.Eventually(t, func() bool {
			last, err := rdb.XRevRangeN(t.Context(), "audit", "+", "-", 1).Result()
			return err == nil && len(last) == 1 && last[0].Values["n"] == strconv.Itoa(n)
		}, 3*time.Second, 5*time.Millisecond)
	}
	for i := range 5 {
		add(i)
	}
	require.EqualValues(t, 1, trims.Load(), "one trim for five entries within a minute")

	clock.Add(trimEvery.Milliseconds())
	add(5)
	require.EqualValues(t, 2, trims.Load(), "a minute later, trimmed again")
}

// TestIfExistsSkipsUnwanted: an entry guarded by a key is written only
// while the key exists; unguarded entries of the same batch are written.
func TestIfExistsSkipsUnwanted(t *testing.T) {
	sp, rdb := startSpool(t, defaultLinger)

	last := func() string {
		m, err := rdb.XRevRangeN(t.Context(), "s", "+", "-", 1).Result()
		if err != nil || len(m) == 0 {
			return ""
		}
		return m[0].Values["n"].(string)
	}
	require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", "guarded-1"}, IfExists: "subscribers"}))
	require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", "plain"}}))
	require.Eventually(t, func() bool { return last() == "plain" }, 3*time.Second, 5*time.Millisecond)

	require.NoError(t, rdb.HSet(t.Context(), "subscribers", "a", "1").Err())
	require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", "guarded-2"}, IfExists: "subscribers"}))
	require.Eventually(t, func() bool { return last() == "guarded-2" }, 3*time.Second, 5*time.Millisecond)

	msgs, err := rdb.XRange(t.Context(), "s", "-", "+").Result()
	require.NoError(t, err)
	var got []string
	for _, m := range msgs {
		got = append(got, m.Values["n"].(string))
	}
	require.Equal(t, []string{"plain", "guarded-2"}, got, "the entry guarded by a missing key was not written")
}

// TestEntriesWithinLingerShareAPipeline: entries added while the first
// one lingers are written in one pipeline, not one each.
func TestEntriesWithinLingerShareAPipeline(t *testing.T) {
	pipelines := &redistest.Pipelines{}
	// A linger far longer than the gaps below, however slow the machine.
	sp, rdb := startSpool(t, time.Second, pipelines)

	for i := range 3 {
		require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", strconv.Itoa(i)}}))
		time.Sleep(20 * time.Millisecond) // Run has long taken the entry
	}
	require.Eventually(t, func() bool { return rdb.XLen(t.Context(), "s").Val() == 3 }, 5*time.Second, 10*time.Millisecond)
	// The client's own connection set-up is a pipeline too: count those
	// that carry an entry.
	xadds := 0
	for _, names := range pipelines.Sent() {
		if slices.Contains(names, "xadd") {
			xadds++
		}
	}
	require.Equal(t, 1, xadds, "three entries, one pipeline")
}

// TestCloseWritesWhatLingers: Close does not wait out the linger, and
// writes the entries that were waiting in it.
func TestCloseWritesWhatLingers(t *testing.T) {
	sp, rdb := startSpool(t, time.Hour)
	require.True(t, sp.Add(Entry{Stream: "s", Values: []string{"n", "0"}}))
	require.Eventually(t, func() bool { return len(sp.ch) == 0 }, time.Second, time.Millisecond, "Run took the entry")
	require.Zero(t, sp.Close(5*time.Second))
	require.EqualValues(t, 1, rdb.XLen(t.Context(), "s").Val(), "written on Close")
}

// startSpool runs a Spool with the given linger on a fresh redis-server,
// through a client with hooks; it is closed when the test ends.
func startSpool(t *testing.T, linger time.Duration, hooks ...redis.Hook) (*Spool, *redis.Client) {
	t.Helper()
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	for _, h := range hooks {
		rdb.AddHook(h)
	}
	sp := New(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, 100)
	sp.linger = linger
	go sp.Run()
	t.Cleanup(func() { sp.Close(time.Second) })
	return sp, rdb
}
