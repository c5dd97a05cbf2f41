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
	// ErrChanged: Take found a newer version than the one it was given.
	ErrChanged = errors.New("session: document changed")
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
	// Expires is when the document was created to expire, in Unix
	// milliseconds of Redis's clock (its field "e"), or 0 for one stored
	// before Foyer kept it. Touch does not change it: it is what Move
	// carries over, and only kinds with an absolute lifetime move.
	Expires int64
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

// putScript writes a document at version ARGV[1] with data ARGV[2], only
// if the key is free. It expires at ARGV[3] (Unix ms by Redis's clock,
// kept in the document as e, so that a move or a restore keeps it), or,
// when ARGV[3] is "", ARGV[4] milliseconds from now. It answers that
// moment, or 0 when the key is taken.
var putScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local e = tonumber(ARGV[3])
if not e then
  local t = redis.call('TIME')
  e = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[4])
end
local es = string.format('%d', e)
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'doc', ARGV[2], 'e', es)
redis.call('PEXPIREAT', KEYS[1], es)
return e`)

// casScript replaces doc and bumps v only if v is still ARGV[1], answering
// {1, newVersion}; with ARGV[3] "del" it deletes the document instead,
// answering {1}. Otherwise it answers {0, v, doc, e}: the current
// document, so a retry needs no separate read; or {0} when the key is
// gone, so a late update never resurrects it. The TTL is kept.
//
// Only the version is read on the way to a write: the document is copied
// into Lua only for a loser, which needs it.
var casScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {0} end
if v ~= ARGV[1] then
  local d = redis.call('HMGET', KEYS[1], 'doc', 'e')
  return {0, v, d[1], d[2]}
end
if ARGV[3] == 'del' then
  redis.call('DEL', KEYS[1])
  return {1}
end
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
		keys, args := []string{k.Key(id)}, []any{1, data, "", ttl.Milliseconds()}
		var created *redis.Cmd
		var undo func()
		if with == nil {
			created = putScript.Run(ctx, s.hot, keys, args...)
		} else {
			var q script.Pending
			_, _ = s.hot.Pipelined(ctx, func(p redis.Pipeliner) error {
				q = script.Queue(ctx, p, putScript, keys, args...)
				undo = with(p, id)
				return nil
			})
			created = q.Cmd(ctx, s.hot)
		}
		e, err := created.Int64()
		if err != nil {
			return Doc{}, wrap("create", err)
		}
		if e > 0 {
			return Doc{ID: id, Version: 1, Data: data, Expires: e}, nil
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
	vals, err := s.hot.HMGet(ctx, k.Key(id), "v", "doc", "e").Result()
	if err != nil {
		return Doc{}, wrap("get", err)
	}
	return parse(id, vals)
}

// parse reads the fields v, doc and (when present) e of a document.
func parse(id string, vals []any) (Doc, error) {
	if len(vals) < 2 {
		return Doc{}, ErrNotFound
	}
	vs, ok1 := vals[0].(string)
	data, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return Doc{}, ErrNotFound
	}
	v, err := strconv.ParseInt(vs, 10, 64)
	if err != nil {
		return Doc{}, fmt.Errorf("session: corrupt version %q", vs)
	}
	doc := Doc{ID: id, Version: v, Data: replyBytes(data)}
	if len(vals) > 2 {
		if es, ok := vals[2].(string); ok {
			if doc.Expires, err = strconv.ParseInt(es, 10, 64); err != nil {
				return Doc{}, fmt.Errorf("session: corrupt expiry %q", es)
			}
		}
	}
	return doc, nil
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
	return s.write(ctx, k, cur, func(old Doc) ([]byte, bool, error) {
		data, err := fn(old)
		return data, false, err
	})
}

// UpdateMove is UpdateFrom whose fn may also answer that the result moves
// to a new id (session fixation: an interaction that has identified
// someone must not keep an id that was ever planted in a browser). The
// move costs no round trip of its own: one pipeline creates the result
// under the new id, with the expiry the document was created with, and
// deletes the old one at the version fn saw. Ids live in different cluster
// slots, so this cannot be one script; if the delete finds a newer version,
// the new document is deleted and fn runs again on the newer one. So an
// update racing with the move either lands before it and is carried over,
// or fails with ErrNotFound after; it is never acknowledged and then lost.
// Move only kinds whose lifetime is absolute (Doc.Expires); one stored
// without an expiry gets the kind's TTL.
func (s *Store) UpdateMove(ctx context.Context, k Kind, cur Doc, fn func(old Doc) (data []byte, move bool, err error)) (Doc, error) {
	return s.write(ctx, k, cur, fn)
}

// write is the compare-and-swap loop of UpdateFrom and UpdateMove.
func (s *Store) write(ctx context.Context, k Kind, cur Doc, fn func(old Doc) ([]byte, bool, error)) (Doc, error) {
	// stale is the new id of a move that lost its race: its document is
	// deleted in the pipeline of the next attempt, or before returning.
	stale := ""
	defer func() {
		if stale != "" {
			// Nobody has that id; should this fail, the document only
			// waits for its expiry.
			_ = s.hot.Del(context.WithoutCancel(ctx), k.Key(stale)).Err()
		}
	}()
	for attempt := 0; ; attempt++ {
		data, move, err := fn(cur)
		if errors.Is(err, ErrNoChange) {
			return cur, nil
		}
		if err != nil {
			return Doc{}, err
		}
		var res []any
		var done Doc
		if move {
			done, res, err = s.move(ctx, k, cur, data, &stale)
		} else {
			res, err = casScript.Run(ctx, s.hot, []string{k.Key(cur.ID)}, cur.Version, data).Slice()
			if err == nil && len(res) > 1 {
				nv, _ := res[1].(int64)
				done = Doc{ID: cur.ID, Version: nv, Data: data, Expires: cur.Expires}
			}
		}
		if err != nil {
			return Doc{}, wrap("update", err)
		}
		if ok, _ := res[0].(int64); ok == 1 {
			return done, nil
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

// move is one attempt of UpdateMove: data under a new id and cur deleted at
// its version, in one pipeline (with the delete of *stale, the new id of an
// attempt before that lost). It answers the new document and the delete's
// reply (casScript's); when the delete lost, the new id becomes *stale.
func (s *Store) move(ctx context.Context, k Kind, cur Doc, data []byte, stale *string) (Doc, []any, error) {
	id := NewID()
	var created, deleted script.Pending
	_, _ = s.hot.Pipelined(ctx, func(p redis.Pipeliner) error {
		if *stale != "" {
			p.Del(ctx, k.Key(*stale))
		}
		created = s.queueCreate(ctx, p, k, id, data, cur.Expires)
		deleted = script.Queue(ctx, p, casScript, []string{k.Key(cur.ID)}, cur.Version, "", "del")
		return nil
	})
	*stale = ""
	e, cerr := created.Cmd(ctx, s.hot).Int64()
	res, err := deleted.Cmd(ctx, s.hot).Slice()
	if cerr == nil && e > 0 && (err != nil || res[0] != int64(1)) {
		*stale = id
	}
	if err != nil || res[0] != int64(1) {
		return Doc{}, res, err
	}
	for range 3 {
		if cerr != nil {
			// The old document is gone and the new one may not exist: the
			// interaction is lost, as in a crash (ARCHITECTURE §4).
			return Doc{}, nil, cerr
		}
		if e > 0 {
			return Doc{ID: id, Version: 1, Data: data, Expires: e}, res, nil
		}
		// The id was taken (a collision of 256-bit ids is only a safety
		// net): the old document is gone, so create under another id.
		id = NewID()
		var p script.Pending
		_, _ = s.hot.Pipelined(ctx, func(pl redis.Pipeliner) error {
			p = s.queueCreate(ctx, pl, k, id, data, cur.Expires)
			return nil
		})
		e, cerr = p.Cmd(ctx, s.hot).Int64()
	}
	return Doc{}, nil, errors.New("session: could not allocate an id")
}

// queueCreate queues the creation of data under id: to expire at expires
// (Unix ms, Redis's clock) when it is known, else after the kind's TTL.
func (s *Store) queueCreate(ctx context.Context, p redis.Pipeliner, k Kind, id string, data []byte, expires int64) script.Pending {
	return script.Queue(ctx, p, putScript, []string{k.Key(id)}, 1, data, expiry(expires), k.TTL.Milliseconds())
}

// expiry is putScript's ARGV[3] for a document's Expires: "" when unknown.
func expiry(e int64) any {
	if e > 0 {
		return e
	}
	return ""
}

// Take deletes the document if it is still at cur's version, in one round
// trip: a submit takes the interaction it finishes, so that a parallel
// submit or a late update finds it gone. It answers ErrChanged when another
// write came first, ErrNotFound when the document is gone.
func (s *Store) Take(ctx context.Context, k Kind, cur Doc) error {
	res, err := casScript.Run(ctx, s.hot, []string{k.Key(cur.ID)}, cur.Version, "", "del").Slice()
	switch {
	case err != nil:
		return wrap("take", err)
	case res[0] == int64(1):
		return nil
	case len(res) < 3:
		return ErrNotFound
	}
	return ErrChanged
}

// Restore puts back a document Take removed, when what the taker meant to
// finish failed. It comes back one version on, so that a compare-and-swap
// begun on it before the take fails and reads again, with the expiry it
// was created with (the kind's TTL for one stored without), unless its id
// is in use again.
func (s *Store) Restore(ctx context.Context, k Kind, doc Doc) error {
	args := []any{doc.Version + 1, doc.Data, expiry(doc.Expires), k.TTL.Milliseconds()}
	return wrap("restore", putScript.Run(ctx, s.hot, []string{k.Key(doc.ID)}, args...).Err())
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
		hm = p.HMGet(ctx, k.Key(id), "v", "doc", "e")
		p.PExpire(ctx, k.Key(id), ttl)
		return nil
	})
	if err != nil {
		return Doc{}, wrap("get", err)
	}
	return parse(id, hm.Val())
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
