package accesslog

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLinesMatchSlog: the access line is byte for byte what slog's own
// handlers write for the same record, in both formats, for awkward values.
func TestLinesMatchSlog(t *testing.T) {
	values := []string{"", "a", "req-123_ABC", "/api/interaction/verification/:kind", "a b", "a=b", `q"uote`,
		`back\\slash`, "tab\there", "nl\nx", "\x00", "\x7f", "é", "\u00a0", "\u2028", "\xff", "<html>&", "ünïcode✓"}
	pick := func(r *rand.Rand) string { return values[r.IntN(len(values))] }
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("X", 3600+1800), time.FixedZone("Y", -7*3600)}
	for i := range 2000 {
		e := Entry{RequestID: pick(r), Method: pick(r), Route: pick(r), Status: r.IntN(600), Code: pick(r),
			TenantID: pick(r), IP: pick(r), Duration: time.Duration(r.Int64N(int64(2000 * time.Second)))}
		if i%7 == 0 {
			e.Duration = time.Duration(r.IntN(3)) * time.Microsecond
		}
		now := time.Date(2026, 12, 1, 10, 50, 33, r.IntN(1e9), zones[i%len(zones)])
		level := slog.LevelInfo
		if i%2 == 0 {
			level = slog.LevelDebug
		}
		for _, json := range []bool{true, false} {
			var got, want bytes.Buffer
			newLineWriter(&got, json).write(now, level, &e)
			var h slog.Handler = slog.NewTextHandler(&want, &slog.HandlerOptions{Level: slog.LevelDebug})
			if json {
				h = slog.NewJSONHandler(&want, &slog.HandlerOptions{Level: slog.LevelDebug})
			}
			rec := slog.NewRecord(now, level, "request", 0)
			rec.AddAttrs(attrs(&e)...)
			require.NoError(t, h.Handle(context.Background(), rec))
			require.Equal(t, want.String(), got.String(), "json=%v entry %+v", json, e)
		}
	}
}

func TestLineWriterAllocatesNothing(t *testing.T) {
	w := newLineWriter(&bytes.Buffer{}, true)
	e := Entry{RequestID: "abc", Method: "POST", Route: "/api/interaction", Status: 200, IP: "127.0.0.1", Duration: time.Millisecond}
	now := time.Now()
	w.write(now, slog.LevelInfo, &e)
	require.Zero(t, testing.AllocsPerRun(100, func() { w.out.(*bytes.Buffer).Reset(); w.write(now, slog.LevelInfo, &e) }))
}
