// Package spool hands entries to Redis Streams without making a request
// wait for Redis: Add queues an entry in memory and returns at once; one
// goroutine writes the queue in pipelined batches and, while Redis is
// away, keeps the batch and tries again until it is back.
//
// Entries are written at least once (a batch whose answer was lost is
// written again), so consumers must tolerate duplicates; entries carry an
// id for that. Entries still queued when the process is killed are lost:
// Close flushes the queue on a graceful shutdown.
package spool

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Entry is one stream entry to add.
type Entry struct {
	Stream string
	Values []string // field, value, field, value, ...
	// MaxLen caps the stream (approximately) when > 0.
	MaxLen int64
	// MinAge, when > 0, also trims entries older than it (approximately).
	MinAge time.Duration
	// IfExists, when set, writes the entry only if this key exists when
	// its batch is written (after the entry was added): an event nobody
	// subscribes to (a tenant with no webhook) costs one EXISTS, read in
	// the batch's first round trip, instead of an entry some consumer must
	// read, acknowledge and delete.
	IfExists string
}

// Spool queues entries for Redis.
type Spool struct {
	rdb redis.UniversalClient
	log *slog.Logger
	now func() time.Time
	ch  chan Entry

	// trimmed is when each stream was last trimmed by age; only Run's
	// goroutine touches it.
	trimmed map[string]time.Time
	// linger is how long a batch waits for more entries after its first.
	linger time.Duration

	dropped atomic.Int64
	done    chan struct{}
	once    sync.Once
	stop    chan struct{}
}

// batch bounds one pipeline.
const batch = 256

// defaultLinger lets the entries of concurrent requests share a pipeline
// at no cost to any request.
const defaultLinger = 5 * time.Millisecond

// trimEvery spaces a stream's trims by age: an entry a few seconds past
// its age is harmless, and a trim per entry was a command per event.
const trimEvery = time.Minute

// New returns a Spool holding at most size queued entries; Run writes them.
func New(rdb redis.UniversalClient, log *slog.Logger, now func() time.Time, size int) *Spool {
	return &Spool{rdb: rdb, log: log, now: now, ch: make(chan Entry, size), trimmed: map[string]time.Time{}, linger: defaultLinger, done: make(chan struct{}), stop: make(chan struct{})}
}

// Add queues e and never blocks. A full queue (Redis away for long) drops
// e, counts it, and answers false.
func (s *Spool) Add(e Entry) bool {
	select {
	case s.ch <- e:
		return true
	default:
		if s.dropped.Add(1) == 1 {
			s.log.Error("spool full: dropping stream entries until Redis catches up", "stream", e.Stream)
		}
		return false
	}
}

// Dropped counts the entries Add refused.
func (s *Spool) Dropped() int64 { return s.dropped.Load() }

// Run writes queued entries until Close; it is started once.
func (s *Spool) Run() {
	defer close(s.done)
	var pending []Entry
	backoff := 50 * time.Millisecond
	for {
		if len(pending) == 0 {
			select {
			case e := <-s.ch:
				pending = append(pending, e)
			case <-s.stop:
				return
			}
		}
		s.fill(&pending)
		if err := s.write(pending); err != nil {
			select {
			case <-s.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		pending = pending[:0]
	}
}

// fill adds to pending what arrives within linger of its first entry, up
// to a batch: the entries of concurrent requests then share one pipeline
// (a round trip each was most of the spool's cost under load), and
// nobody waits for it but the stream's readers.
func (s *Spool) fill(pending *[]Entry) {
	if len(*pending) >= batch {
		return
	}
	t := time.NewTimer(s.linger)
	defer t.Stop()
	for len(*pending) < batch {
		select {
		case e := <-s.ch:
			*pending = append(*pending, e)
		case <-t.C:
			return
		case <-s.stop: // Close: write what is here at once
			return
		}
	}
}

func (s *Spool) write(es []Entry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	exists, err := s.guards(ctx, es)
	if err != nil {
		return err
	}
	now := s.now()
	var trims []string
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range es {
			if e.IfExists != "" && exists[e.IfExists].Val() == 0 {
				continue
			}
			vals := make([]any, len(e.Values))
			for i, v := range e.Values {
				vals[i] = v
			}
			a := &redis.XAddArgs{Stream: e.Stream, Values: vals, Approx: true}
			if e.MaxLen > 0 {
				a.MaxLen = e.MaxLen
			}
			p.XAdd(ctx, a)
			// A zero last trim is long enough ago.
			if e.MinAge > 0 && now.Sub(s.trimmed[e.Stream]) >= trimEvery && !slices.Contains(trims, e.Stream) {
				p.XTrimMinIDApprox(ctx, e.Stream, minID(now.Add(-e.MinAge)), 0)
				trims = append(trims, e.Stream)
			}
		}
		return nil
	})
	if err == nil {
		for _, st := range trims {
			s.trimmed[st] = now
		}
		if len(s.trimmed) > 4096 { // streams per tenant: forget, trim again
			clear(s.trimmed)
		}
	}
	return err
}

// guards asks, in one pipeline, whether each IfExists key of the batch
// exists (an EXISTS per key: keys of other cluster slots). Without such
// keys it sends nothing.
func (s *Spool) guards(ctx context.Context, es []Entry) (map[string]*redis.IntCmd, error) {
	exists := map[string]*redis.IntCmd{}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range es {
			if _, seen := exists[e.IfExists]; e.IfExists != "" && !seen {
				exists[e.IfExists] = p.Exists(ctx, e.IfExists)
			}
		}
		return nil
	})
	return exists, err
}

func minID(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// Close stops Run after it has written what is queued, waiting at most
// timeout; it reports how many entries were left unwritten.
func (s *Spool) Close(timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for len(s.ch) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.once.Do(func() { close(s.stop) })
	select {
	case <-s.done:
	case <-time.After(time.Until(deadline) + 100*time.Millisecond):
	}
	return len(s.ch)
}
