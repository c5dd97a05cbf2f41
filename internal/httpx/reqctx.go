package httpx

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// requestCtx is a request's context: its id and its deadline in one
// allocation and without a timer of its own. Every request's context was a
// context.WithValue and a context.WithTimeout, that is three allocations and
// a timer started and stopped in the runtime's heap each time, a few percent
// of an options call's CPU.
//
// Instead, requests whose deadlines fall within one tick share a context
// from context.WithDeadline that ends at the tick's end: Done closes and Err
// turns to DeadlineExceeded at most one tick after the request's own
// deadline, which Deadline reports exactly. Contexts derived from it (a
// command's own timeout, say) hang off that shared context directly, as
// they would off any context the standard library made.
type requestCtx struct {
	parent context.Context // never done: see deadlines.context
	tick   context.Context // done at the tick's end
	id     string
	at     time.Time
}

func (c *requestCtx) Deadline() (time.Time, bool) { return c.at, true }
func (c *requestCtx) Done() <-chan struct{}       { return c.tick.Done() }
func (c *requestCtx) Err() error                  { return c.tick.Err() }

// Value answers the request id, then the parent's values, then the tick's:
// the tick holds no values but the standard library's own mark, through
// which a derived context registers with the tick instead of starting a
// goroutine to watch Done.
func (c *requestCtx) Value(key any) any {
	if key == (requestIDKey{}) {
		return c.id
	}
	if v := c.parent.Value(key); v != nil {
		return v
	}
	return c.tick.Value(key)
}

func (c *requestCtx) String() string { return "httpx.requestCtx" }

// deadlines hands out request contexts for one timeout.
type deadlines struct {
	timeout time.Duration
	step    time.Duration // a tick: at most this late
	cur     atomic.Pointer[tick]
	mu      sync.Mutex // serialises starting a tick
}

type tick struct {
	end    time.Time
	ctx    context.Context
	cancel context.CancelFunc // kept only so that go vet sees it is not lost
}

func newDeadlines(timeout time.Duration) *deadlines {
	return &deadlines{timeout: timeout, step: max(timeout/64, time.Millisecond)}
}

// context gives a request started at now its id and deadline. cancel is
// nil unless the context needs cancelling when the request ends.
func (d *deadlines) context(parent context.Context, now time.Time, id string) (ctx context.Context, cancel context.CancelFunc) {
	at := now.Add(d.timeout)
	if parent.Done() != nil {
		// A parent that can end on its own needs the full machinery (Fiber's
		// user context is Background unless something set it).
		return context.WithDeadline(context.WithValue(parent, requestIDKey{}, id), at)
	}
	return &requestCtx{parent: parent, tick: d.tickFor(at), id: id, at: at}, nil
}

// tickFor returns the shared context of the tick in which at falls,
// starting a new tick when at is past the current one. Requests come in
// nearly in time order, so nearly all of them find the current tick.
func (d *deadlines) tickFor(at time.Time) context.Context {
	if t := d.cur.Load(); t != nil && !at.After(t.end) && t.end.Sub(at) <= d.step {
		return t.ctx
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.cur.Load()
	if t == nil || at.After(t.end) || t.end.Sub(at) > d.step {
		end := at.Add(d.step)
		ctx, cancel := context.WithDeadline(context.Background(), end)
		t = &tick{end: end, ctx: ctx, cancel: cancel}
		d.cur.Store(t)
	}
	return t.ctx
}

// newRequestID is 16 base64url characters of 96 random bits. Request ids
// are not secrets, but counting them would tell anyone how busy the server
// is; the runtime's generator is fast and unpredictable enough for that.
func newRequestID() string {
	var raw [12]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(raw[8:], rand.Uint32())
	var out [16]byte
	base64.RawURLEncoding.Encode(out[:], raw[:])
	return string(out[:])
}
