package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/breaker"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBreakerStates(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	b := breaker.New(200*time.Millisecond, 20*time.Millisecond, c.now)
	timeout := fmt.Errorf("read: %w", os.ErrDeadlineExceeded)

	require.NoError(t, b.Allow(), "a new breaker is closed")
	b.ReportResult(io.EOF)
	require.NoError(t, b.Allow(), "a connection error that came back at once changes nothing")

	b.ReportResult(timeout)
	steps := []struct {
		after time.Duration
		open  bool
	}{
		{0, true},
		{199 * time.Millisecond, true},
		{1 * time.Millisecond, false},  // 200 ms: probe window
		{19 * time.Millisecond, false}, // 219 ms: still probing
		{1 * time.Millisecond, true},   // 220 ms: next cooldown
		{200 * time.Millisecond, false},
	}
	for i, s := range steps {
		c.advance(s.after)
		if s.open {
			require.ErrorIs(t, b.Allow(), breaker.ErrOpen, "step %d", i)
		} else {
			require.NoError(t, b.Allow(), "step %d", i)
		}
	}

	b.ReportResult(breaker.ErrTimeout) // the probe waited out its deadline
	require.ErrorIs(t, b.Allow(), breaker.ErrOpen)
	b.ReportResult(breaker.ErrOpen)
	require.True(t, b.Open(), "a refused command says nothing about Redis")

	// Any answer from Redis closes it, an error reply too.
	b.ReportResult(redis.Nil)
	require.NoError(t, b.Allow())
	b.ReportResult(timeout)
	require.True(t, b.Open())
	b.ReportResult(nil)
	require.False(t, b.Open())
	require.NoError(t, b.Allow())

	b.ReportResult(context.DeadlineExceeded)
	require.False(t, b.Open(), "the caller's deadline passing says nothing about Redis")
}

func TestErrTimeoutIsATimeoutButNotTheCallersDeadline(t *testing.T) {
	var te interface{ Timeout() bool }
	require.True(t, errors.As(breaker.ErrTimeout, &te) && te.Timeout())
	require.NotErrorIs(t, breaker.ErrTimeout, context.DeadlineExceeded)
}
