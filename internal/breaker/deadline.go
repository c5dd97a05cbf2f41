package breaker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deadline is a go-redis hook that gives every command and pipeline at
// most its duration, everything included: the wait for a pooled
// connection, dialling and the handshake of a new one, retries, writing and
// reading. go-redis's own timeouts bound each of these steps separately, so
// in a hang they add up; and the batching client runs its batches on a
// background context that no request deadline reaches. With a deadline on
// the whole, a batch that hangs holds the requests queued behind it for at
// most this long, and its timeout opens the Breaker for the ones after.
//
// A command that runs out of this deadline fails with ErrTimeout, not
// context.DeadlineExceeded, which would mean that the caller's own
// deadline had passed.
type Deadline time.Duration

// ErrTimeout is the error of a command or pipeline that Redis did not
// answer within its Deadline. It is a net.Error whose Timeout is true.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string   { return "redis: no answer within the deadline" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ redis.Hook = Deadline(0)

// DialHook leaves dialling alone: it runs inside a command, which is bounded.
func (d Deadline) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook bounds one command.
func (d Deadline) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(parent context.Context, cmd redis.Cmder) error {
		// A blocking read (a stream consumer waiting for entries) is meant
		// to wait: it gets its block time on top, or every quiet wait
		// would count as Redis hanging and open the Breaker for everyone.
		ctx, cancel := context.WithTimeout(parent, time.Duration(d)+blockTime(cmd))
		defer cancel()
		err := next(ctx, cmd)
		if expired(parent, err) {
			cmd.SetErr(ErrTimeout)
			return ErrTimeout
		}
		return err
	}
}

// ProcessPipelineHook bounds one pipeline (a batching client's batch too).
func (d Deadline) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(parent context.Context, cmds []redis.Cmder) error {
		ctx, cancel := context.WithTimeout(parent, time.Duration(d))
		defer cancel()
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			if expired(parent, cmd.Err()) {
				cmd.SetErr(ErrTimeout)
			}
		}
		if expired(parent, err) {
			return ErrTimeout
		}
		return err
	}
}

// expired reports whether err is this hook's deadline passing, rather than
// the caller's.
func expired(parent context.Context, err error) bool {
	return err != nil && errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil
}

// blockTime is how long cmd may block in Redis by design: the BLOCK
// milliseconds of XREAD and XREADGROUP, the timeout (seconds) of the
// blocking list and sorted-set pops. 0 waits forever there; it is given
// no extra time, and nothing in Foyer sends it.
func blockTime(cmd redis.Cmder) time.Duration {
	args := cmd.Args()
	switch cmd.Name() {
	case "xread", "xreadgroup":
		for i := 0; i+1 < len(args); i++ {
			if s, ok := args[i].(string); ok && strings.EqualFold(s, "block") {
				return duration(args[i+1], time.Millisecond)
			}
		}
	case "blpop", "brpop", "brpoplpush", "blmove", "bzpopmin", "bzpopmax":
		return duration(args[len(args)-1], time.Second)
	}
	return 0
}

func duration(v any, unit time.Duration) time.Duration {
	switch n := v.(type) {
	case int64:
		return time.Duration(n) * unit
	case int:
		return time.Duration(n) * unit
	case float64:
		return time.Duration(n * float64(unit))
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return time.Duration(f * float64(unit))
	}
	return 0
}
