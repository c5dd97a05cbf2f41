package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

func TestConfigBounds(t *testing.T) {
	base := []string{"-url", "http://localhost:3001", "-redis", "redis://127.0.0.1:6379"}
	_, err := parseConfig(base, io.Discard)
	require.NoError(t, err)
	for _, extra := range [][]string{
		{"-duration", "11s"},
		{"-c", "64", "-users", "32"},
		{"-max", "0"},
		{"-seq", "1001"},
		{"-flows", "passkey,sso"},
		{"-profile", "cpu.pprof"},
		{"-profile", "cpu.pprof", "-pprof", "http://10.0.0.1:9090"},
		{"-profile", "cpu.pprof", "-pprof", "http://127.0.0.1:80@10.0.0.1:9090"},
	} {
		_, err := parseConfig(append(base, extra...), io.Discard)
		require.Error(t, err, "%v", extra)
	}
	_, err = parseConfig(nil, io.Discard)
	require.Error(t, err, "-url and -redis are required")
	_, err = loopbackRedis("redis://10.0.0.1:6379")
	require.Error(t, err, "127.0.0.1 only")
}

func TestKeyClass(t *testing.T) {
	for key, class := range map[string]string{
		"foyer:t:{0b5e}:user:8f2c":                "user",
		"foyer:t:{0b5e}:users":                    "users",
		"foyer:t:{0b5e}:idx:username:mem_ab12_pw": "idx:username",
		"foyer:t:{0b5e}:idx:cred:AAECAw":          "idx:cred",
		"foyer:t:{0b5e}:usess:8f2c":               "usess",
		"foyer:sess:{kq3}":                        "sess",
		"foyer:ix:{kq3}":                          "ix",
		"foyer:rl:{ix-new:9a0b}":                  "rl:ix-new",
		"foyer:webhooks":                          "webhooks",
	} {
		require.Equal(t, class, keyClass(key), key)
	}
}

// TestSnapshotOverhead holds the round-trip count's assumption: a snapshot
// is one command in one read, so the calibrated overhead is exactly that
// and the same every time.
func TestSnapshotOverhead(t *testing.T) {
	srv := redistest.Start(t)
	rdb, err := loopbackRedis(srv.URL())
	require.NoError(t, err)
	defer rdb.Close()
	require.NoError(t, rdb.Ping(t.Context()).Err())
	var snaps []redisStats
	for range 3 {
		s, err := redisSnapshot(t.Context(), rdb)
		require.NoError(t, err)
		snaps = append(snaps, s)
	}
	first, second := snaps[1].minus(snaps[0]), snaps[2].minus(snaps[1])
	require.Equal(t, int64(1), first.reads)
	require.Equal(t, int64(1), first.commands)
	require.Equal(t, map[string]int64{"info": 1}, first.calls)
	require.Equal(t, first.calls, second.calls)
	require.Equal(t, first.reads, second.reads)
}
