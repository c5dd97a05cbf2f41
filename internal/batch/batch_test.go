package batch

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func start(t *testing.T) (*Batcher, *redis.Client, *redistest.Pipelines, *redistest.Server) {
	t.Helper()
	srv := redistest.Start(t)
	// No CLIENT SETINFO handshake: it is a pipeline of its own.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	p := &redistest.Pipelines{}
	rdb.AddHook(p)
	b := New(rdb)
	t.Cleanup(b.Close)
	return b, rdb, p, srv
}

// eventually waits, without a clock in the assertion, for cond.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond)
}

func (b *Batcher) queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}

func TestConcurrentCallersGetTheirOwnReplies(t *testing.T) {
	b, _, _, _ := start(t)
	hot := b.Client()
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 300 {
				k := "k" + strconv.Itoa(g) + ":" + strconv.Itoa(i)
				if err := hot.Set(ctx, k, k, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				if v, err := hot.Get(ctx, k).Result(); err != nil || v != k {
					t.Errorf("get %s = %q, %v", k, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// While one pipeline is out, the commands that come meanwhile wait and
// then go out together: two pipelines for ten commands, not ten.
func TestCommandsQueuedDuringAPipelineShareTheNext(t *testing.T) {
	b, _, p, srv := start(t)
	hot := b.Client()
	srv.Pause()
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, hot.Set(context.Background(), "first", "1", 0).Err()) })
	eventually(t, func() bool { return len(p.Sizes()) == 1 })
	for range 9 {
		wg.Go(func() { assert.NoError(t, hot.Incr(context.Background(), "n").Err()) })
	}
	eventually(t, func() bool { return b.queued() == 9 })
	srv.Resume()
	wg.Wait()
	require.Equal(t, []int{1, 9}, p.Sizes())
	n, err := hot.Get(t.Context(), "n").Int()
	require.NoError(t, err)
	require.Equal(t, 9, n)
}

// A pipeline sent through Client is queued whole and shares a round trip;
// each command keeps its own reply or error.
func TestPipelineIsQueuedWhole(t *testing.T) {
	b, _, p, _ := start(t)
	ctx := t.Context()
	var get *redis.StringCmd
	var bad *redis.IntCmd
	_, err := b.Client().Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, "s", "text", 0)
		bad = pipe.Incr(ctx, "s") // not an integer
		get = pipe.Get(ctx, "s")
		return nil
	})
	require.Error(t, err)
	require.Equal(t, []int{3}, p.Sizes())
	require.ErrorContains(t, bad.Err(), "not an integer")
	require.Equal(t, "text", get.Val())
}

// Transactions need a connection of their own: refused, and nothing sent.
func TestTransactionsAreRefused(t *testing.T) {
	b, rdb, p, _ := start(t)
	ctx := t.Context()
	_, err := b.Client().TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, "tx", "1", 0)
		return nil
	})
	require.ErrorIs(t, err, ErrTx)
	require.Empty(t, p.Sizes())
	require.ErrorIs(t, rdb.Get(ctx, "tx").Err(), redis.Nil)
}

// A caller whose context ends while its command is out still gets the
// command's outcome: it never reports a failure for a write that happened.
func TestCallerWaitsForACommandThatIsOut(t *testing.T) {
	b, rdb, p, srv := start(t)
	srv.Pause()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Client().Set(ctx, "late", "1", 0).Err() }()
	eventually(t, func() bool { return len(p.Sizes()) == 1 }) // it is out
	cancel()
	srv.Resume()
	require.NoError(t, <-done)
	require.Equal(t, "1", rdb.Get(t.Context(), "late").Val())
}

// Close lets what is queued run, then refuses new commands.
func TestCloseRunsWhatIsQueued(t *testing.T) {
	b, rdb, p, srv := start(t)
	hot := b.Client()
	srv.Pause()
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() { assert.NoError(t, hot.Incr(context.Background(), "n").Err()) })
	}
	eventually(t, func() bool { return b.queued()+sum(p.Sizes()) == 5 })
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	srv.Resume()
	wg.Wait()
	<-closed
	require.Equal(t, "5", rdb.Get(t.Context(), "n").Val())
	require.True(t, errors.Is(hot.Incr(t.Context(), "n").Err(), ErrClosed))
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// panicky panics in any pipeline holding an ECHO.
type panicky struct{}

func (panicky) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (panicky) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (panicky) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "echo" {
				panic("hook broke")
			}
		}
		return next(ctx, cmds)
	}
}

// A panic while a pipeline runs fails that pipeline's commands; the
// Batcher lives on for the next ones.
func TestAPanicFailsOnlyItsPipeline(t *testing.T) {
	b, rdb, _, _ := start(t)
	rdb.AddHook(panicky{})
	err := b.Client().Echo(t.Context(), "x").Err()
	require.ErrorContains(t, err, "pipeline panicked: hook broke")
	require.NoError(t, b.Client().Set(t.Context(), "after", "1", 0).Err())
}

// A command whose context has already ended is not sent.
func TestEndedContextSendsNothing(t *testing.T) {
	b, rdb, p, _ := start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, b.Client().Set(ctx, "k", "1", 0).Err(), context.Canceled)
	_, err := b.Client().Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, "k", "1", 0)
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, p.Sizes())
	require.ErrorIs(t, rdb.Get(t.Context(), "k").Err(), redis.Nil)
}
