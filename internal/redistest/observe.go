package redistest

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Observer is a go-redis hook that shows Seen every command before it is
// sent, alone or in a pipeline, so that a test can count what a client
// asks of Redis. Seen may run on several goroutines at once.
type Observer struct{ Seen func(redis.Cmder) }

func (o Observer) DialHook(next redis.DialHook) redis.DialHook { return next }

func (o Observer) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		o.Seen(cmd)
		return next(ctx, cmd)
	}
}

func (o Observer) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			o.Seen(cmd)
		}
		return next(ctx, cmds)
	}
}
