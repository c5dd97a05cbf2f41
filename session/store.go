package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/script"
)

var (
	// ErrNotFound: no document with that id (never existed, expired or deleted).
	ErrNotFound = errors.New("session: document not found")
	// ErrUnavailable: Redis did not answer. Callers should fail fast.
	ErrUnavailable = errors.New("session: storage unavailable")
	// ErrConflict: the update lost the compare-and-swap race too many times.
	ErrConflict = errors.New("session: too many concurrent updates")
)

// Kind is a family of documents: its key prefix and default lifetime.
type Kind struct {
	Prefix string        // "ix", "sess"
	TTL    time.Duration // lifetime given at creation
}

// Doc is one stored document.
type Doc struct {
	ID      string
	Version int64
	// Data is read-only: a document read from Redis shares the memory of
	// the reply (see replyBytes), and decoders may keep parts of it.
	Data []byte
}

// Store reads and writes documents. It is safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
	// hot sends the commands of the interaction API (create, read,
	// compare-and-swap, take, delete). Through a batching client (package
	// internal/batch), commands of concurrent requests share one write and
	// one read on the socket, which is most of the cost of a round trip on
	// loopback.
	hot redis.Cmdable
}

// NewStore returns a Store on rdb.
func NewStore(rdb redis.UniversalClient) *Store {
	return &Store{rdb: rdb, hot: rdb}
}

// NewPipelinedStore returns a Store that sends its hot-path commands
// through hot, a batching face of rdb (see Store.hot).
func NewPipelinedStore(rdb redis.UniversalClient, hot redis.Cmdable) *Store {
	return &Store{rdb: rdb, hot: hot}
}

// NewID returns a fresh 256-bit random id, base64url-encoded.
func NewID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents this since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidID reports whether s could be an id made by NewID, so that garbage
// cookies never reach Redis.
func ValidID(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Key is the Redis key of a document.
func (k Kind) Key(id string) string {
	return "foyer:" + k.Prefix + ":{" + id + "}"
}

// createScript writes a new document only if the key is free.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'doc', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)

// casScript replaces doc and bumps v only if v is still ARGV[1], answering
// {1, newVersion}. Otherwise it answers {0, v, doc}: the current document,
// so a retry needs no separate read; or {0} when the key is gone, so a late
// update never resurrects it. The TTL is kept.
//
// Only the version is read on the way to a write: the document is copied
// into Lua only for a loser, which needs it.
var casScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {0} end
if v ~= ARGV[1] then return {0, v, redis.call('HGET', KEYS[1], 'doc')} end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'doc', ARGV[2])
return {1, nv}`)

// Create stores data under a new id with the kind's TTL (or ttl when > 0).
func (s *Store) Create(ctx context.Context, k Kind, data []byte, ttl time.Duration) (Doc, error) {
	return s.createWith(ctx, k, data, ttl, nil)
}

// along is what a create sends in the same round trip as its own command,
// for the id it tries; it answers what takes those commands back should
// the id be taken already.
type along func(p redis.Pipeliner, id string) (undo func())

// createWith is Create that sends more commands, queued by with, in the
// same pipeline as each attempt.
func (s *Store) createWith(ctx context.Context, k Kind, data []byte, ttl time.Duration, with along) (Doc, error) {
	if ttl <= 0 {
		ttl = k.TTL
	}
	// PEXPIRE with 0 or less deletes the key at once, so a missing lifetime
	// would hand out the id of a document that no longer exists.
	if ttl.Milliseconds() <= 0 {
		return Doc{}, fmt.Errorf("session: create %s: lifetime %v is under 1ms", k.Prefix, ttl)
	}
	for range 3 { // a collision of 256-bit ids is only a safety net
		id := NewID()
		keys, args := []string{k.Key(id)}, []any{data, ttl.Milliseconds()}
		var created *redis.Cmd
		var undo func()
		if with == nil {
			created = createScript.Run(ctx, s.hot, keys, args...)
		} else {
			var q script.Pending
			_, _ = s.hot.Pipelined(ctx, func(p redis.Pipeliner) error {
				q = script.Queue(ctx, p, createScript, keys, args...)
				undo = with(p, id)
				return nil
			})
			created = q.Cmd(ctx, s.hot)
		}
		n, err := created.Int()
		if err != nil {
			return Doc{}, wrap("create", err)
		}
		if n == 1 {
			return Doc{ID: id, Version: 1, Data: data}, nil
		}
		if undo != nil {
			undo()
		}
	}
	return Doc{}, errors.New("session: could not allocate an id")
}

// Get reads a document in one round trip.
func (s *Store) Get(ctx context.Context, k Kind, id string) (Doc, error) {
	if !ValidID(id) {
		return Doc{}, ErrNotFound
	}
	vals, err := s.hot.HMGet(ctx, k.Key(id), "v", "doc").Result()
	if err != nil {
		return Doc{}, wrap("get", err)
	}
	return parse(id, vals)
}

func parse(id string, vals []any) (Doc, error) {
	vs, ok1 := vals[0].(string)
	data, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return Doc{}, ErrNotFound
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return Doc{}, fmt.Errorf("session: corrupt version %q", vs)
	}
	return Doc{ID: id, Version: v, Data: replyBytes(data)}, nil
}

// replyBytes is the bytes of a string go-redis read, without a copy:
// go-redis makes each bulk reply a string of its own, which nothing writes,
// and the document is read on every call of the API (about 1 KiB copied
// for nothing). The result must not be written to (Doc.Data).
func replyBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// ErrNoChange may be returned by an update function to leave the document
// as it is; Update then returns the current document and no error.
var ErrNoChange = errors.New("session: no change")

// maxAttempts bounds retries of a lost compare-and-swap; the request
// deadline usually ends them first. Each retry starts from the document the
// failed write saw, so some writer always succeeds.
const maxAttempts = 1000

// Update applies fn to the current document and writes the result with
// compare-and-swap on the version, re-applying fn to the newer document when
// another writer got there first. fn must be a pure function of its input
// (it may run several times). It returns the document as written.
func (s *Store) Update(ctx context.Context, k Kind, id string, fn func(old Doc) ([]byte, error)) (Doc, error) {
	cur, err := s.Get(ctx, k, id)
	if err != nil {
		return Doc{}, err
	}
	return s.UpdateFrom(ctx, k, cur, fn)
}

// UpdateFrom is Update starting from a document the caller has just read,
// saving that read.
func (s *Store) UpdateFrom(ctx context.Context, k Kind, cur Doc, fn func(old Doc) ([]byte, error)) (Doc, error) {
	for attempt := 0; ; attempt++ {
		data, err := fn(cur)
		if errors.Is(err, ErrNoChange) {
			return cur, nil
		}
		if err != nil {
			return Doc{}, err
		}
		res, err := casScript.Run(ctx, s.hot, []string{k.Key(cur.ID)}, cur.Version, data).Slice()
		if err != nil {
			return Doc{}, wrap("update", err)
		}
		if ok, _ := res[0].(int64); ok == 1 {
			nv, _ := res[1].(int64)
			return Doc{ID: cur.ID, Version: nv, Data: data}, nil
		}
		if len(res) < 3 {
			return Doc{}, ErrNotFound
		}
		if cur, err = parse(cur.ID, res[1:]); err != nil {
			return Doc{}, err
		}
		if attempt+1 >= maxAttempts || ctx.Err() != nil {
			return Doc{}, ErrConflict
		}
		if attempt >= 2 {
			// Many writers on one document: spread them out a little so
			// that they stop colliding.
			time.Sleep(time.Duration(mrand.Int64N(int64(min(attempt, 20)) * int64(100*time.Microsecond))))
		}
	}
}

// Delete removes a document. Deleting a missing document is not an error.
func (s *Store) Delete(ctx context.Context, k Kind, id string) error {
	if !ValidID(id) {
		return nil
	}
	return wrap("delete", s.hot.Del(ctx, k.Key(id)).Err())
}

// Touch sets a document's remaining lifetime (sliding idle timeouts).
func (s *Store) Touch(ctx context.Context, k Kind, id string, ttl time.Duration) error {
	return wrap("touch", s.hot.PExpire(ctx, k.Key(id), ttl).Err())
}

// GetAndTouch reads a document and extends its lifetime in one round trip.
func (s *Store) GetAndTouch(ctx context.Context, k Kind, id string, ttl time.Duration) (Doc, error) {
	if !ValidID(id) {
		return Doc{}, ErrNotFound
	}
	var hm *redis.SliceCmd
	_, err := s.hot.Pipelined(ctx, func(p redis.Pipeliner) error {
		hm = p.HMGet(ctx, k.Key(id), "v", "doc")
		p.PExpire(ctx, k.Key(id), ttl)
		return nil
	})
	if err != nil {
		return Doc{}, wrap("get", err)
	}
	return parse(id, hm.Val())
}

// takeScript removes a document and returns {v, doc, pttl}, or nil when
// there is no live document. Taking it in one step means an update either
// ran before (and is in what was taken) or fails after with ErrNotFound.
var takeScript = redis.NewScript(`
local vals = redis.call('HMGET', KEYS[1], 'v', 'doc')
if not vals[1] or not vals[2] then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return false end
redis.call('DEL', KEYS[1])
return {vals[1], vals[2], ttl}`)

// restoreScript puts a taken document back, version included (a reset
// version would let a stale compare-and-swap succeed), unless the key is
// in use again.
var restoreScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'doc', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// Rotate moves a document to a new id, keeping its data and remaining TTL.
// Ids live in different cluster slots, so this cannot be one RENAME: the old
// document is taken (read and deleted in one script), then created under a
// new id. An update on the old id is therefore either carried over or fails
// with ErrNotFound; it is never acknowledged and then lost. If the create
// fails the old document is put back; a crash in between loses it, as a
// crash may lose any ephemeral key (ARCHITECTURE §4).
func (s *Store) Rotate(ctx context.Context, k Kind, id string) (Doc, error) {
	if !ValidID(id) {
		return Doc{}, ErrNotFound
	}
	vals, err := takeScript.Run(ctx, s.hot, []string{k.Key(id)}).Slice()
	if errors.Is(err, redis.Nil) {
		return Doc{}, ErrNotFound
	}
	if err != nil {
		return Doc{}, wrap("rotate", err)
	}
	v, _ := vals[0].(string)
	data, _ := vals[1].(string)
	ttl, _ := vals[2].(int64)
	doc, err := s.Create(ctx, k, replyBytes(data), time.Duration(ttl)*time.Millisecond)
	if err != nil {
		_ = restoreScript.Run(context.WithoutCancel(ctx), s.hot, []string{k.Key(id)}, v, data, ttl).Err()
		return Doc{}, err
	}
	return doc, nil
}

// wrap marks every Redis failure as ErrUnavailable: for a client, Redis
// being down, slow or unreachable all mean "retry later".
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
