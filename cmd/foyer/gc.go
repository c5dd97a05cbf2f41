package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcPercent is the collector's target when GOGC is not set. A request
// allocates a few kilobytes that die at once, and the live heap is small
// (caches of tenants and WebAuthn templates), so Go's default of 100
// collects very often for little: 400 spends about a quarter of the
// collector's CPU for a heap a few megabytes larger. GOMEMLIMIT (or, in a
// container, three quarters of its memory limit) keeps the heap bounded.
const gcPercent = 400

// tuneGC applies Foyer's collector defaults unless the operator set GOGC
// or GOMEMLIMIT, which the runtime has already read. cgroupLimit is the
// container's memory limit in bytes, 0 when there is none.
func tuneGC(getenv func(string) string, cgroupLimit int64) (percent int, limit int64) {
	percent, limit = -2, -1 // unchanged
	if getenv("GOGC") == "" {
		percent = gcPercent
		debug.SetGCPercent(percent)
	}
	if getenv("GOMEMLIMIT") == "" && cgroupLimit > 0 {
		limit = cgroupLimit / 4 * 3
		debug.SetMemoryLimit(limit)
	}
	return percent, limit
}

// cgroupMemoryLimit reads the memory limit of this process's cgroup (v2,
// then v1); 0 when there is none or it cannot be read.
func cgroupMemoryLimit() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// v1 says "no limit" with a huge number, v2 with "max".
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0
		}
		return n
	}
	return 0
}
