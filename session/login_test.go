package session_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/session"
)

func newLogins(t *testing.T, idle, absolute time.Duration) (*session.Logins, redis.UniversalClient) {
	t.Helper()
	rdb := newClient(t, redistest.Start(t).Addr)
	return &session.Logins{Store: session.NewStore(rdb), Idle: idle, Absolute: absolute, Now: time.Now}, rdb
}

func TestLoginIdleTimeout(t *testing.T) {
	l, rdb := newLogins(t, time.Second, time.Hour)
	id, _, err := l.Create(t.Context(), session.Login{TenantID: "t1", UserID: "u1", Methods: []string{"password"}})
	require.NoError(t, err)
	for range 3 { // each use slides the idle timeout
		time.Sleep(600 * time.Millisecond)
		_, err := l.Get(t.Context(), "t1", id)
		require.NoError(t, err)
	}
	time.Sleep(1200 * time.Millisecond)
	_, err = l.Get(t.Context(), "t1", id)
	require.ErrorIs(t, err, session.ErrNotFound)
	require.Zero(t, rdb.Exists(t.Context(), session.LoginKey(id)).Val())
}

func TestLoginAbsoluteTimeout(t *testing.T) {
	l, rdb := newLogins(t, time.Hour, time.Second)
	id, login, err := l.Create(t.Context(), session.Login{TenantID: "t1", UserID: "u1"})
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Second), login.ExpiresAt, 100*time.Millisecond)
	// The key's lifetime never exceeds the absolute end, however it is used.
	require.LessOrEqual(t, rdb.PTTL(t.Context(), session.LoginKey(id)).Val(), time.Second)
	_, err = l.Get(t.Context(), "t1", id)
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond)
	_, err = l.Get(t.Context(), "t1", id)
	require.ErrorIs(t, err, session.ErrNotFound)
}

func TestLoginTenantAndEndAll(t *testing.T) {
	l, rdb := newLogins(t, time.Hour, 24*time.Hour)
	a, _, err := l.Create(t.Context(), session.Login{TenantID: "t1", UserID: "u1"})
	require.NoError(t, err)
	b, _, err := l.Create(t.Context(), session.Login{TenantID: "t1", UserID: "u1"})
	require.NoError(t, err)
	other, _, err := l.Create(t.Context(), session.Login{TenantID: "t1", UserID: "u2"})
	require.NoError(t, err)
	require.NotEqual(t, a, b)

	_, err = l.Get(t.Context(), "t2", a)
	require.ErrorIs(t, err, session.ErrNotFound, "another tenant's session is not found")

	require.NoError(t, l.EndAll(t.Context(), "t1", "u1"))
	for _, id := range []string{a, b} {
		require.Zero(t, rdb.Exists(t.Context(), session.LoginKey(id)).Val())
	}
	_, err = l.Get(t.Context(), "t1", other)
	require.NoError(t, err, "other users keep their sessions")
}

// TestLoginEnd: End removes a session of its tenant and its entry in the
// user's set, and leaves another tenant's session, an unknown id and a
// malformed one alone without an error.
func TestLoginEnd(t *testing.T) {
	l, rdb := newLogins(t, time.Hour, 24*time.Hour)
	ctx := t.Context()
	mine, _, err := l.Create(ctx, session.Login{TenantID: "t1", UserID: "u1"})
	require.NoError(t, err)
	theirs, _, err := l.Create(ctx, session.Login{TenantID: "t2", UserID: "u9"})
	require.NoError(t, err)

	require.NoError(t, l.End(ctx, "t1", theirs), "another tenant's id")
	require.EqualValues(t, 1, rdb.Exists(ctx, session.LoginKey(theirs)).Val(), "another tenant's session stays")
	for _, id := range []string{"", session.NewID(), "not an id"} {
		require.NoError(t, l.End(ctx, "t1", id), "id %q", id)
	}

	require.NoError(t, l.End(ctx, "t1", mine))
	require.Zero(t, rdb.Exists(ctx, session.LoginKey(mine)).Val())
	require.Empty(t, rdb.SMembers(ctx, "foyer:t:{t1}:usess:u1").Val(), "the user's set forgets it")
	require.NoError(t, l.End(ctx, "t1", mine), "ending it again is not an error")
}
