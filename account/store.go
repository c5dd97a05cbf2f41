package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

var (
	ErrNotFound    = errors.New("account: user not found")
	ErrUnavailable = errors.New("account: storage unavailable")
	ErrConflict    = errors.New("account: too many concurrent updates")
)

// TakenError says which unique identifier is already someone else's.
type TakenError struct{ Kind string }

func (e *TakenError) Error() string { return "account: " + e.Kind + " already in use" }

// Store keeps users in Redis.
type Store struct {
	rdb redis.UniversalClient
	// hot sends the commands of a sign-in (finding and reading a user,
	// writing one back): through a batching client when the Store is made
	// with NewPipelinedStore, so that concurrent requests share socket
	// writes and reads instead of a round trip each.
	hot redis.Cmdable
	now func() time.Time
}

// NewStore returns a Store.
func NewStore(rdb redis.UniversalClient, now func() time.Time) *Store {
	return &Store{rdb: rdb, hot: rdb, now: now}
}

// NewPipelinedStore returns a Store whose sign-in commands go through hot,
// a batching face of rdb.
func NewPipelinedStore(rdb redis.UniversalClient, hot redis.Cmdable, now func() time.Time) *Store {
	return &Store{rdb: rdb, hot: hot, now: now}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func userKey(tid, uid string) string        { return "foyer:t:{" + tid + "}:user:" + uid }
func indexKey(tid, kind, val string) string { return "foyer:t:{" + tid + "}:idx:" + kind + ":" + val }

// writeScript writes a user and its indexes, all or nothing, and lists a
// new user in the tenant's user list.
//
//	KEYS[1] user; KEYS[2] user list; KEYS[3..2+nAdd] indexes to claim; the
//	rest indexes to drop. ARGV[1] expected version ("0": the user must not
//	exist), ARGV[2] doc, ARGV[3] uid, ARGV[4] nAdd, ARGV[5] list member.
//
// Answers {0, newVersion}, {1, i} when index i is someone else's, or {2}
// on a version mismatch.
var writeScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return {2, 0} end
local nAdd = tonumber(ARGV[4])
for i = 3, nAdd + 2 do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= ARGV[3] then return {1, i - 2} end
end
for i = 3, nAdd + 2 do redis.call('SET', KEYS[i], ARGV[3]) end
for i = nAdd + 3, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[3] then redis.call('DEL', KEYS[i]) end
end
if v == '0' then redis.call('ZADD', KEYS[2], 0, ARGV[5]) end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'doc', ARGV[2])
return {0, nv}`)

// NewHandle returns a fresh 64-byte WebAuthn user handle.
func NewHandle() []byte {
	b := make([]byte, 64)
	_, _ = rand.Read(b)
	return b
}

// Create stores a new user with its indexes. A taken identifier is a
// *TakenError and nothing is written.
func (s *Store) Create(ctx context.Context, tid string, u *User) error {
	u.ID = uuid.NewString()
	if len(u.WebAuthnHandle) == 0 {
		u.WebAuthnHandle = NewHandle()
	}
	u.CreatedAt = s.now().UTC()
	u.UpdatedAt = u.CreatedAt
	_, err := s.write(ctx, tid, 0, nil, u)
	if errors.Is(err, errVersion) {
		// The id is new, so a user already under it is this very write:
		// Redis ran the script, its answer was lost, and the client sent
		// it again (go-redis retries a command after a read timeout).
		if got, _, gerr := s.get(ctx, tid, u.ID); gerr == nil && got.CreatedAt.Equal(u.CreatedAt) {
			return nil
		}
	}
	return err
}

// write stores u if its stored version is still version. had lists the
// identifiers the user held at that version (nil for a new user).
func (s *Store) write(ctx context.Context, tid string, version int64, had [][2]string, u *User) (int64, error) {
	doc, err := json.Marshal(u)
	if err != nil {
		return 0, err
	}
	// Only identifiers the user did not have are claimed: those it had are
	// its own while its version is the one read (a claim never takes an
	// index from its owner, and deleting a user drops its indexes), so a
	// sign count or a name changing writes the user alone.
	add := u.indexes()
	var drop [][2]string
	if had != nil {
		add, drop = diffIdx(add, had), diffIdx(had, add)
	}
	keys := make([]string, 0, 2+len(add)+len(drop))
	keys = append(keys, userKey(tid, u.ID), listKey(tid))
	for _, ix := range append(add, drop...) {
		keys = append(keys, indexKey(tid, ix[0], ix[1]))
	}
	res, err := writeScript.Run(ctx, s.hot, keys, strconv.FormatInt(version, 10), doc, u.ID, len(add), listMember(u)).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("%w: write user: %w", ErrUnavailable, err)
	}
	switch res[0] {
	case 0:
		return res[1], nil
	case 1:
		return 0, &TakenError{Kind: add[res[1]-1][0]}
	default:
		return 0, errVersion
	}
}

var errVersion = errors.New("account: version mismatch")

func diffIdx(old, cur [][2]string) [][2]string {
	keep := make(map[[2]string]bool, len(cur))
	for _, c := range cur {
		keep[c] = true
	}
	var out [][2]string
	for _, o := range old {
		if !keep[o] {
			out = append(out, o)
		}
	}
	return out
}

// Get reads a user by id.
func (s *Store) Get(ctx context.Context, tid, uid string) (*User, error) {
	u, _, err := s.get(ctx, tid, uid)
	return u, err
}

// GetAt is Get that also answers the user's version, for UpdateFrom.
func (s *Store) GetAt(ctx context.Context, tid, uid string) (*User, int64, error) {
	return s.get(ctx, tid, uid)
}

func (s *Store) get(ctx context.Context, tid, uid string) (*User, int64, error) {
	if uuid.Validate(uid) != nil {
		return nil, 0, ErrNotFound
	}
	vals, err := s.hot.HMGet(ctx, userKey(tid, uid), "v", "doc").Result()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: get user: %w", ErrUnavailable, err)
	}
	vs, ok1 := vals[0].(string)
	doc, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, 0, ErrNotFound
	}
	v, _ := strconv.ParseInt(vs, 10, 64)
	var u User
	if err := json.Unmarshal([]byte(doc), &u); err != nil {
		return nil, 0, fmt.Errorf("account: corrupt user %s: %w", uid, err)
	}
	return &u, v, nil
}

// Find returns the user owning an identifier (kind and normalised value).
func (s *Store) Find(ctx context.Context, tid, kind, value string) (*User, error) {
	u, _, err := s.FindAt(ctx, tid, kind, value)
	return u, err
}

// FindAt is Find that also answers the user's version, for UpdateFrom.
func (s *Store) FindAt(ctx context.Context, tid, kind, value string) (*User, int64, error) {
	if value == "" {
		return nil, 0, ErrNotFound
	}
	uid, err := s.hot.Get(ctx, indexKey(tid, kind, value)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: find user: %w", ErrUnavailable, err)
	}
	return s.get(ctx, tid, uid)
}

// Taken reports which of the given identifiers already belong to someone.
func (s *Store) Taken(ctx context.Context, tid, kind, value string) (bool, error) {
	n, err := s.hot.Exists(ctx, indexKey(tid, kind, value)).Result()
	if err != nil {
		return false, fmt.Errorf("%w: check identifier: %w", ErrUnavailable, err)
	}
	return n == 1, nil
}

// Update applies fn to a user and writes it with compare-and-swap on its
// version, re-reading on a lost race. Index changes (a new email, a new
// credential) are claimed in the same atomic step.
func (s *Store) Update(ctx context.Context, tid, uid string, fn func(u *User) error) (*User, error) {
	return s.UpdateFrom(ctx, tid, uid, nil, 0, fn)
}

// UpdateFrom is Update for a caller that has just read the user (u at
// version, from GetAt or FindAt): the first attempt applies fn to u itself
// instead of reading it again, and a lost race re-reads as Update does.
// A nil u reads first.
func (s *Store) UpdateFrom(ctx context.Context, tid, uid string, u *User, version int64, fn func(u *User) error) (*User, error) {
	if u != nil && u.ID != uid {
		u = nil
	}
	for range 32 {
		v := version
		if u == nil {
			var err error
			if u, v, err = s.get(ctx, tid, uid); err != nil {
				return nil, err
			}
		}
		// What changed is read off the identifiers before and after fn: no
		// copy of the user is needed (each attempt has its own: the
		// caller's on the first, a fresh decode after a lost race).
		had := u.indexes()
		if err := fn(u); err != nil {
			return nil, err
		}
		u.ID = uid
		u.UpdatedAt = s.now().UTC()
		if _, err := s.write(ctx, tid, v, had, u); !errors.Is(err, errVersion) {
			return u, err
		}
		u = nil
	}
	return nil, ErrConflict
}
