package verification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrLimited matches every *LimitError.
var ErrLimited = errors.New("verification: too many attempts")

// LimitError says a limit is reached and how long to wait.
type LimitError struct{ RetryAfter time.Duration }

func (e *LimitError) Error() string {
	return fmt.Sprintf("too many attempts; retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrLimited) match.
func (e *LimitError) Is(t error) bool { return t == ErrLimited }

// Limit is at most N events in any Window.
type Limit struct {
	N      int
	Window time.Duration
}

// Bucket is one counted thing: a scope ("pw-id", "pw-ip", ...) and a value
// (an identifier, an IP) under a limit.
type Bucket struct {
	Scope string
	Value string
	Limit Limit
}

// key hashes the value: it may be an email address or a phone number, and
// keys show up in monitoring.
func (b Bucket) key(tenantID string) string {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + b.Value))
	return "foyer:rl:{" + b.Scope + ":" + hex.EncodeToString(sum[:16]) + "}"
}

// Limiter counts events in Redis with a sliding log per bucket (a sorted set
// of timestamps), so every Foyer process shares the counts and no window of
// length Window ever holds more than N events.
type Limiter struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewLimiter returns a Limiter.
func NewLimiter(rdb redis.UniversalClient, now func() time.Time) *Limiter {
	return &Limiter{rdb: rdb, now: now}
}

// limitScript drops entries older than the window; if N remain, it answers
// the milliseconds until the oldest leaves; otherwise it records ARGV[4]
// (when not empty) and answers 0. Check and record are one atomic step, so
// concurrent attempts cannot all slip under the limit.
var limitScript = redis.NewScript(`
local now, win, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
if redis.call('ZCARD', KEYS[1]) >= n then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + win - now)
end
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], win)
end
return 0`)

// Reservation is an event counted by Hit, which Release can take back.
type Reservation struct {
	keys   []string
	member string
}

// Hit counts one event in every bucket, in one round trip, and answers a
// *LimitError when any bucket was already full (its event is then taken
// back from the others). Count before doing the guarded work, so that
// concurrent attempts are bounded too.
func (l *Limiter) Hit(ctx context.Context, tenantID string, buckets ...Bucket) (Reservation, error) {
	r := Reservation{keys: make([]string, len(buckets)), member: NewToken()}
	waits, err := l.eval(ctx, tenantID, buckets, r.member, r.keys)
	if err != nil {
		return Reservation{}, err
	}
	var wait int64
	for _, w := range waits {
		wait = max(wait, w)
	}
	if wait > 0 {
		l.Release(ctx, r)
		return Reservation{}, &LimitError{RetryAfter: time.Duration(wait) * time.Millisecond}
	}
	return r, nil
}

// Release takes back an event counted by Hit (after a success, which should
// not count against the user). Failures are ignored: the entry expires.
func (l *Limiter) Release(ctx context.Context, r Reservation) {
	if len(r.keys) == 0 {
		return
	}
	_, _ = l.rdb.Pipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error {
		for _, k := range r.keys {
			p.ZRem(ctx, k, r.member)
		}
		return nil
	})
}

// eval runs the script on every bucket in one pipeline (buckets have their
// own hash tags, so they may live on different cluster nodes).
func (l *Limiter) eval(ctx context.Context, tenantID string, buckets []Bucket, member string, keys []string) ([]int64, error) {
	now := l.now().UnixMilli()
	args := func(b Bucket) []any { return []any{now, b.Limit.Window.Milliseconds(), b.Limit.N, member} }
	cmds := make([]*redis.Cmd, len(buckets))
	_, _ = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, b := range buckets {
			keys[i] = b.key(tenantID)
			cmds[i] = limitScript.EvalSha(ctx, p, []string{keys[i]}, args(b)...)
		}
		return nil
	})
	out := make([]int64, len(buckets))
	for i, c := range cmds {
		w, err := c.Int64()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// First use since Redis started: load the script by sending it whole.
			w, err = limitScript.Run(ctx, l.rdb, []string{keys[i]}, args(buckets[i])...).Int64()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: rate limit: %w", ErrStorage, err)
		}
		out[i] = w
	}
	return out, nil
}

// ErrStorage wraps Redis failures of this package.
var ErrStorage = errors.New("verification: storage unavailable")
