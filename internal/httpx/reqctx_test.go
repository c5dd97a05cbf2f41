package httpx

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type otherKey struct{}

func TestRequestContextEndsAtItsDeadline(t *testing.T) {
	d := newDeadlines(50 * time.Millisecond)
	parent := context.WithValue(context.Background(), otherKey{}, "kept")
	now := time.Now()
	ctx, cancel := d.context(parent, now, "rid")
	require.Nil(t, cancel, "no cancel for a parent that never ends")

	at, ok := ctx.Deadline()
	require.True(t, ok)
	require.Equal(t, now.Add(50*time.Millisecond), at, "the request's own deadline, exactly")
	require.Equal(t, "rid", RequestID(ctx))
	require.Equal(t, "kept", ctx.Value(otherKey{}), "the parent's values pass through")
	require.NoError(t, ctx.Err())
	end := d.cur.Load().end
	require.False(t, end.Before(at), "the tick ends at or after the deadline")
	require.LessOrEqual(t, end.Sub(at), d.step, "at most one tick late")

	<-ctx.Done()
	require.False(t, time.Now().Before(at), "never done before its deadline")
	require.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
	require.ErrorIs(t, context.Cause(ctx), context.DeadlineExceeded)
}

func TestRequestsShareATick(t *testing.T) {
	d := newDeadlines(time.Hour)
	now := time.Now()
	a, _ := d.context(context.Background(), now, "a")
	b, _ := d.context(context.Background(), now.Add(d.step/2), "b")
	c, _ := d.context(context.Background(), now.Add(2*d.step), "c")
	require.Equal(t, a.Done(), b.Done(), "one tick, one timer")
	require.NotEqual(t, a.Done(), c.Done(), "a later deadline starts a tick of its own")
	require.Equal(t, "b", RequestID(b))
	// A clock that stepped back does not hand out a tick ending too late.
	e, _ := d.context(context.Background(), now.Add(-time.Minute), "e")
	eAt, _ := e.Deadline()
	require.LessOrEqual(t, d.cur.Load().end.Sub(eAt), d.step)
}

// TestDerivedContextsNeedNoGoroutine: a command's own timeout under a
// request context registers with the request's tick like any context the
// standard library made, instead of a goroutine watching Done; and it ends
// when the request does.
func TestDerivedContextsNeedNoGoroutine(t *testing.T) {
	d := newDeadlines(30 * time.Millisecond)
	ctx, _ := d.context(context.Background(), time.Now(), "rid")
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	var last context.Context
	for range 100 {
		child, cancel := context.WithTimeout(ctx, time.Hour)
		cancels = append(cancels, cancel)
		last = child
	}
	require.Less(t, runtime.NumGoroutine(), before+10, "no goroutine per derived context")
	require.Equal(t, "rid", RequestID(last))
	<-last.Done()
	require.ErrorIs(t, last.Err(), context.DeadlineExceeded, "the request's deadline ends what it started")
	for _, cancel := range cancels {
		cancel()
	}
}

func TestRequestContextUnderACancellableParent(t *testing.T) {
	d := newDeadlines(time.Hour)
	parent, stop := context.WithCancel(context.Background())
	ctx, cancel := d.context(parent, time.Now(), "rid")
	require.NotNil(t, cancel)
	defer cancel()
	require.Equal(t, "rid", RequestID(ctx))
	stop()
	<-ctx.Done()
	require.True(t, errors.Is(ctx.Err(), context.Canceled), "the parent's end reaches the request")
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newRequestID()
		require.Len(t, id, 16)
		require.True(t, validRequestID(id), id)
		require.False(t, seen[id], "ids repeat")
		seen[id] = true
	}
}
