package account

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

// replayOnce is a go-redis hook that runs the first script call twice, as
// happens when Redis ran it but its answer was lost and the client sent it
// again (go-redis retries a command after a read timeout).
type replayOnce struct{ done bool }

func (h *replayOnce) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *replayOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *replayOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if n := cmd.Name(); !h.done && err == nil && (n == "evalsha" || n == "eval") {
			h.done = true
			return next(ctx, cmd)
		}
		return err
	}
}

// TestCreateSurvivesARetriedWrite: a sign-up whose user write ran twice
// (the first answer lost) is one user, created, not an error.
func TestCreateSurvivesARetriedWrite(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	hook := &replayOnce{}
	rdb.AddHook(hook)
	s := NewStore(rdb, time.Now)
	u := &User{Username: "rita", PrimaryEmail: "rita@example.test"}
	require.NoError(t, s.Create(t.Context(), "t1", u))
	require.True(t, hook.done, "the write was replayed")
	got, err := s.Find(t.Context(), "t1", KindUsername, "rita")
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	page, err := s.List(t.Context(), "t1", "", "", 10)
	require.NoError(t, err)
	require.Len(t, page.Users, 1)
}
