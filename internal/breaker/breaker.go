package breaker

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrOpen is the error of a command refused while the breaker is open.
var ErrOpen = errors.New("redis: not answering (circuit open)")

// Breaker implements redis.Limiter. Use New.
type Breaker struct {
	cooldown, probe int64 // nanoseconds
	now             func() time.Time
	// openedAt is the UnixNano time of the last timeout while open, 0 while
	// closed.
	openedAt atomic.Int64
}

var _ redis.Limiter = (*Breaker)(nil)

// New returns a closed Breaker that, once open, refuses commands for
// cooldown and then admits them for probe, in turn, until Redis answers.
func New(cooldown, probe time.Duration, now func() time.Time) *Breaker {
	return &Breaker{cooldown: int64(cooldown), probe: int64(probe), now: now}
}

// Allow admits a command, or refuses it with ErrOpen.
func (b *Breaker) Allow() error {
	if b.Open() {
		return ErrOpen
	}
	return nil
}

// Open reports whether commands are refused at this moment.
func (b *Breaker) Open() bool {
	at := b.openedAt.Load()
	if at == 0 {
		return false
	}
	since := b.now().UnixNano() - at
	return since < 0 || since%(b.cooldown+b.probe) < b.cooldown
}

// ReportResult records how an admitted command ended: a timeout opens the
// breaker (or restarts its cooldown), an answer from Redis closes it, and
// anything else changes nothing.
func (b *Breaker) ReportResult(err error) {
	switch {
	case err == nil || isReply(err):
		if b.openedAt.Load() != 0 {
			b.openedAt.Store(0)
		}
	case isTimeout(err):
		b.openedAt.Store(b.now().UnixNano())
	}
}

// isTimeout reports a command that waited out a socket deadline or its
// Deadline (a net.Error whose Timeout is true). context.DeadlineExceeded has
// a Timeout method too, but it says that the caller ran out of time, not
// that Redis did not answer.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded)
}

// isReply reports whether err is a reply of Redis (redis.Nil, or an error
// reply such as OOM or NOSCRIPT): Redis is there and answering.
func isReply(err error) bool {
	var re redis.Error
	return errors.Is(err, redis.Nil) || errors.As(err, &re)
}
