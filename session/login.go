package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/script"
)

// Login is a signed-in session: who, in which tenant, since when, and how
// they proved it.
type Login struct {
	TenantID  string    `json:"tenantId"`
	UserID    string    `json:"userId"`
	AuthTime  time.Time `json:"authTime"`
	Methods   []string  `json:"methods"`
	ExpiresAt time.Time `json:"expiresAt"` // absolute end, whatever the activity
}

// Logins keeps login sessions with an idle timeout (each use extends it) and
// an absolute one. Each user's session ids are also kept in a set, so that a
// password reset can end them all.
type Logins struct {
	Store    *Store
	Idle     time.Duration
	Absolute time.Duration
	Now      func() time.Time
}

var loginKind = Kind{Prefix: "sess"}

func userSessionsKey(tid, uid string) string { return "foyer:t:{" + tid + "}:usess:" + uid }

// Create starts a login session and returns its id (a new random id, never
// the interaction's), adding it to the user's index in the same round trip.
func (l *Logins) Create(ctx context.Context, login Login) (string, Login, error) {
	now := l.Now().UTC()
	login.AuthTime = now
	login.ExpiresAt = now.Add(l.Absolute)
	data, err := json.Marshal(login)
	if err != nil {
		return "", Login{}, err
	}
	// The session and its entry in the user's index go out together, in
	// one round trip.
	set := []string{userSessionsKey(login.TenantID, login.UserID)}
	keep := max(l.Absolute.Milliseconds(), 1)
	var indexed script.Pending
	doc, err := l.Store.createWith(ctx, loginKind, data, min(l.Idle, l.Absolute), func(p redis.Pipeliner, id string) func() {
		indexed = script.Queue(ctx, p, indexScript, set, id, keep)
		// The id is someone else's session (a 256-bit collision): it is
		// not this user's.
		return func() { _ = l.Store.hot.SRem(ctx, set[0], id).Err() }
	})
	if err != nil {
		return "", Login{}, err
	}
	return doc.ID, login, wrap("index session", indexed.Cmd(ctx, l.Store.hot).Err())
}

// indexScript adds a login session to its user's index and extends the
// index's lifetime: one command, sent with other requests' commands.
var indexScript = redis.NewScript(`
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('PEXPIRE', KEYS[1], ARGV[2])`)

// Get returns the login session id of tenant tid and slides its idle
// timeout, never past the absolute end.
func (l *Logins) Get(ctx context.Context, tid, id string) (Login, error) {
	doc, err := l.Store.GetAndTouch(ctx, loginKind, id, l.Idle)
	if err != nil {
		return Login{}, err
	}
	var login Login
	if err := json.Unmarshal(doc.Data, &login); err != nil {
		return Login{}, fmt.Errorf("session: corrupt login: %w", err)
	}
	if login.TenantID != tid {
		return Login{}, ErrNotFound
	}
	left := login.ExpiresAt.Sub(l.Now())
	if left <= 0 {
		_ = l.Store.Delete(ctx, loginKind, id)
		return Login{}, ErrNotFound
	}
	if left < l.Idle {
		_ = l.Store.Touch(ctx, loginKind, id, left)
	}
	return login, nil
}

// Delete ends one login session.
func (l *Logins) Delete(ctx context.Context, login Login, id string) error {
	if err := l.Store.Delete(ctx, loginKind, id); err != nil {
		return err
	}
	if login.UserID != "" {
		return wrap("unindex session", l.Store.rdb.SRem(ctx, userSessionsKey(login.TenantID, login.UserID), id).Err())
	}
	return nil
}

// End ends the login session id if it is one of tenant tid's. An id that
// names no live session, or another tenant's, is left alone and is not an
// error: signing out twice, or signing in again with a stale cookie, is
// normal.
func (l *Logins) End(ctx context.Context, tid, id string) error {
	if id == "" {
		return nil
	}
	doc, err := l.Store.Get(ctx, loginKind, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var login Login
	if err := json.Unmarshal(doc.Data, &login); err != nil {
		return fmt.Errorf("session: corrupt login: %w", err)
	}
	if login.TenantID != tid {
		return nil
	}
	return l.Delete(ctx, login, id)
}

// EndAll ends every login session of a user (after a password reset).
func (l *Logins) EndAll(ctx context.Context, tid, uid string) error {
	set := userSessionsKey(tid, uid)
	ids, err := l.Store.rdb.SMembers(ctx, set).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return wrap("list sessions", err)
	}
	_, err = l.Store.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.Del(ctx, loginKind.Key(id))
		}
		p.Del(ctx, set)
		return nil
	})
	return wrap("end sessions", err)
}

// LoginEntry is one live login session of a user, with its id.
type LoginEntry struct {
	ID    string
	Login Login
}

// List returns the live login sessions of user uid, oldest sign-in first:
// the user's session index, then one read of every session in one
// pipeline. Ids whose session has ended are dropped from the index.
func (l *Logins) List(ctx context.Context, tid, uid string) ([]LoginEntry, error) {
	set := userSessionsKey(tid, uid)
	ids, err := l.Store.rdb.SMembers(ctx, set).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrap("list sessions", err)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	if _, err := l.Store.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, loginKind.Key(id), "doc")
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, wrap("read sessions", err)
	}
	now := l.Now()
	var out []LoginEntry
	var gone []any
	for i, cmd := range cmds {
		vals, _ := cmd.Result()
		doc, ok := firstString(vals)
		var login Login
		if !ok || json.Unmarshal([]byte(doc), &login) != nil || login.TenantID != tid || login.UserID != uid || !now.Before(login.ExpiresAt) {
			gone = append(gone, ids[i])
			continue
		}
		out = append(out, LoginEntry{ID: ids[i], Login: login})
	}
	if len(gone) > 0 {
		_ = l.Store.rdb.SRem(ctx, set, gone...).Err() // tidying; the sessions are gone either way
	}
	slices.SortFunc(out, func(a, b LoginEntry) int { return a.Login.AuthTime.Compare(b.Login.AuthTime) })
	return out, nil
}

func firstString(vals []any) (string, bool) {
	if len(vals) == 0 {
		return "", false
	}
	s, ok := vals[0].(string)
	return s, ok
}

// LoginKey is the Redis key of a login session (for tests and tools).
func LoginKey(id string) string { return loginKind.Key(id) }
