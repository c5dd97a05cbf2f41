package logbuf

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingWriter records each write it receives.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
	err    error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), c.err
}

func (c *countingWriter) all() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(bytes.Join(c.writes, nil)), len(c.writes)
}

func TestLinesAreBatchedAndNoneIsLost(t *testing.T) {
	var under countingWriter
	w := NewSize(&under, time.Hour, 1<<20) // only Close writes
	log := slog.New(slog.NewTextHandler(w, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				log.Info("request", "g", g, "i", i)
			}
		})
	}
	wg.Wait()
	_, n := under.all()
	require.Zero(t, n, "nothing written before the delay or the size is reached")
	require.NoError(t, w.Close())
	got, n := under.all()
	require.Equal(t, 1, n, "800 lines in one write")
	for g := range 8 {
		for i := range 100 {
			require.Contains(t, got, fmt.Sprintf("g=%d i=%d\n", g, i))
		}
	}
	require.Equal(t, 800, bytes.Count([]byte(got), []byte("\n")), "every line whole, once")

	// After Close, lines go straight through (shutdown logs).
	log.Info("late")
	got, _ = under.all()
	require.Contains(t, got, "msg=late")
}

func TestFullBufferIsWrittenAtOnce(t *testing.T) {
	var under countingWriter
	w := NewSize(&under, time.Hour, 64)
	_, _ = w.Write(bytes.Repeat([]byte("a"), 40))
	_, n := under.all()
	require.Zero(t, n)
	_, _ = w.Write(bytes.Repeat([]byte("b"), 40))
	got, n := under.all()
	require.Equal(t, 1, n)
	require.Equal(t, 80, len(got))
}

func TestWaitingLinesAreWrittenAfterTheDelay(t *testing.T) {
	var under countingWriter
	w := NewSize(&under, time.Millisecond, 1<<20)
	_, _ = w.Write([]byte("one line\n"))
	require.Eventually(t, func() bool { got, _ := under.all(); return got == "one line\n" },
		5*time.Second, time.Millisecond)
}

func TestWriteErrorsAreReported(t *testing.T) {
	under := countingWriter{err: errors.New("disk full")}
	w := NewSize(&under, time.Hour, 1<<20)
	_, err := w.Write([]byte("x\n"))
	require.NoError(t, err, "the error shows when the line is really written")
	require.EqualError(t, w.Flush(), "disk full")
}
