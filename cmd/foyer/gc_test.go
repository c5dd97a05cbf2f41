package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGCDefaultsYieldToTheOperator(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })

	percent, limit := tuneGC(env(nil), 4<<30)
	require.Equal(t, gcPercent, percent)
	require.Equal(t, gcPercent, debug.SetGCPercent(gcPercent), "the runtime got Foyer's default")
	require.Equal(t, int64(3<<30), limit, "three quarters of the container's memory")
	require.Equal(t, int64(3<<30), debug.SetMemoryLimit(-1))

	debug.SetGCPercent(100)
	percent, limit = tuneGC(env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}), 4<<30)
	require.Equal(t, -2, percent)
	require.Equal(t, int64(-1), limit)
	require.Equal(t, 100, debug.SetGCPercent(100), "GOGC set by the operator is left alone")

	_, limit = tuneGC(env(nil), 0)
	require.Equal(t, int64(-1), limit, "no container limit: no memory limit")
}
