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

// TestUpdateClaimsOnlyNewIdentifiers: an update that changes no identifier
// writes the user alone; a new username is claimed and the old one let go;
// one that someone else holds is refused and nothing changes.
func TestUpdateClaimsOnlyNewIdentifiers(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	var scriptKeys []int // how many keys each script call names
	rdb.AddHook(redistest.Observer{Seen: func(cmd redis.Cmder) {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			scriptKeys = append(scriptKeys, cmd.Args()[2].(int))
		}
	}})
	s := NewStore(rdb, time.Now)
	ctx := t.Context()
	u := &User{Username: "una", PrimaryEmail: "una@example.test"}
	require.NoError(t, s.Create(ctx, "t1", u))
	require.NoError(t, s.Create(ctx, "t1", &User{Username: "vic"}))

	scriptKeys = nil
	_, err := s.Update(ctx, "t1", u.ID, func(u *User) error { u.Suspended = true; return nil })
	require.NoError(t, err)
	require.Equal(t, []int{2}, scriptKeys, "the user and its list: no index claimed again")

	_, err = s.Update(ctx, "t1", u.ID, func(u *User) error { u.Username = "vic"; return nil })
	var taken *TakenError
	require.ErrorAs(t, err, &taken)
	require.Equal(t, KindUsername, taken.Kind)

	_, err = s.Update(ctx, "t1", u.ID, func(u *User) error { u.Username = "ursula"; return nil })
	require.NoError(t, err)
	got, err := s.Find(ctx, "t1", KindUsername, "ursula")
	require.NoError(t, err)
	require.True(t, got.Suspended)
	_, err = s.Find(ctx, "t1", KindUsername, "una")
	require.ErrorIs(t, err, ErrNotFound, "the old name is let go")
	got, err = s.Find(ctx, "t1", KindEmail, "una@example.test")
	require.NoError(t, err, "the unchanged email still finds the user")
	require.Equal(t, u.ID, got.ID)
}

// TestUpdateFromKeepsWhatCameBetween: an update from a user read earlier
// writes without reading again when nothing came between, and re-reads when
// something did, so the write between is kept, never overwritten.
func TestUpdateFromKeepsWhatCameBetween(t *testing.T) {
	rs := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	var reads int
	rdb.AddHook(redistest.Observer{Seen: func(cmd redis.Cmder) {
		if cmd.Name() == "hmget" {
			reads++
		}
	}})
	s := NewStore(rdb, time.Now)
	ctx := t.Context()
	require.NoError(t, s.Create(ctx, "t1", &User{Username: "wes"}))

	u, v, err := s.FindAt(ctx, "t1", KindUsername, "wes")
	require.NoError(t, err)
	reads = 0
	_, err = s.UpdateFrom(ctx, "t1", u.ID, u, v, func(u *User) error { u.PrimaryPhone = "+15550100"; return nil })
	require.NoError(t, err)
	require.Zero(t, reads, "nothing came between: no second read")

	stale, sv, err := s.GetAt(ctx, "t1", u.ID)
	require.NoError(t, err)
	require.Greater(t, sv, v)
	_, err = s.Update(ctx, "t1", u.ID, func(u *User) error { u.Suspended = true; return nil }) // comes between
	require.NoError(t, err)
	reads = 0
	_, err = s.UpdateFrom(ctx, "t1", u.ID, stale, sv, func(u *User) error { u.Username = "wesley"; return nil })
	require.NoError(t, err)
	require.Equal(t, 1, reads, "the lost race read the user again")
	got, err := s.Get(ctx, "t1", u.ID)
	require.NoError(t, err)
	require.Equal(t, "wesley", got.Username)
	require.True(t, got.Suspended, "the write between is kept")
	require.Equal(t, "+15550100", got.PrimaryPhone)
}
