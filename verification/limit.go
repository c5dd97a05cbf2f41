package verification

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/script"
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

// ErrQuietLimit says that a Quiet bucket is full while every other bucket
// had room: the event was counted in those, and the caller must refuse it
// in a way that looks like an ordinary failure.
var ErrQuietLimit = errors.New("verification: quiet limit reached")

// Bucket is one counted thing: a scope ("pw-ip", "pw-sub", ...) and a value
// (an identifier, an address) under a limit.
type Bucket struct {
	Scope string
	Value string
	Limit Limit
	// Quiet buckets are keyed on something the client must not learn (that
	// an identifier belongs to an account, say): when one is full, Hit
	// answers ErrQuietLimit rather than a *LimitError with Retry-After.
	Quiet bool
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
	hot redis.Cmdable // checks and records: a batching face of rdb
	now func() time.Time
}

// NewLimiter returns a Limiter. Its checks go through hot, a batching face
// of rdb (or rdb itself), so that concurrent requests share socket writes
// and reads instead of a round trip each.
func NewLimiter(rdb redis.UniversalClient, hot redis.Cmdable, now func() time.Time) *Limiter {
	return &Limiter{rdb: rdb, hot: hot, now: now}
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
// *LimitError when any bucket that is not Quiet was already full (its event
// is then taken back from the others). Otherwise, when a Quiet bucket was
// full, it answers the reservation and ErrQuietLimit: the event stays
// counted in the other buckets, as the failure the caller will pretend it
// was. Count before doing the guarded work, so that concurrent attempts
// are bounded too.
func (l *Limiter) Hit(ctx context.Context, tenantID string, buckets ...Bucket) (Reservation, error) {
	r := Reservation{keys: make([]string, len(buckets)), member: NewToken()}
	waits, err := l.eval(ctx, tenantID, buckets, r.member, r.keys)
	if err != nil {
		return Reservation{}, err
	}
	var wait int64
	quiet := false
	for i, w := range waits {
		if buckets[i].Quiet {
			quiet = quiet || w > 0
			continue
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		l.Release(ctx, r)
		return Reservation{}, &LimitError{RetryAfter: time.Duration(wait) * time.Millisecond}
	}
	if quiet {
		return r, ErrQuietLimit
	}
	return r, nil
}

// AddressKey is the value under which a client address is counted: an
// IPv4 address as it is, an IPv6 address by its /64, the block one
// subscriber usually holds whole (counting single IPv6 addresses would give
// one client 2^64 buckets).
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Release takes back an event counted by Hit (after a success, which should
// not count against the user). Failures are ignored: the entry expires.
func (l *Limiter) Release(ctx context.Context, r Reservation) {
	if len(r.keys) == 0 {
		return
	}
	_, _ = l.hot.Pipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error {
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
	if len(buckets) == 1 { // a new interaction, a code sent: one command
		keys[0] = buckets[0].key(tenantID)
		w, err := limitScript.Run(ctx, l.hot, keys[:1], args(buckets[0])...).Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: rate limit: %w", ErrStorage, err)
		}
		return []int64{w}, nil
	}
	checks := make([]script.Pending, len(buckets))
	_, _ = l.hot.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, b := range buckets {
			keys[i] = b.key(tenantID)
			checks[i] = script.Queue(ctx, p, limitScript, []string{keys[i]}, args(b)...)
		}
		return nil
	})
	out := make([]int64, len(buckets))
	for i, c := range checks {
		w, err := c.Cmd(ctx, l.hot).Int64()
		if err != nil {
			return nil, fmt.Errorf("%w: rate limit: %w", ErrStorage, err)
		}
		out[i] = w
	}
	return out, nil
}

// ErrStorage wraps Redis failures of this package.
var ErrStorage = errors.New("verification: storage unavailable")
