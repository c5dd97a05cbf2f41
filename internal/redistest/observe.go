package redistest

import (
	"context"
	"slices"
	"sync"

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

// Pipelines is a go-redis hook that records every pipeline a client sends:
// the names of its commands, in the order the pipelines went out. Commands
// sent alone are not recorded. It may be used from several goroutines.
type Pipelines struct {
	mu   sync.Mutex
	sent [][]string
}

func (p *Pipelines) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (p *Pipelines) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (p *Pipelines) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		names := make([]string, len(cmds))
		for i, cmd := range cmds {
			names[i] = cmd.Name()
		}
		p.mu.Lock()
		p.sent = append(p.sent, names)
		p.mu.Unlock()
		return next(ctx, cmds)
	}
}

// Sent returns the pipelines sent so far.
func (p *Pipelines) Sent() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}

// Sizes returns how many commands each pipeline sent so far carried.
func (p *Pipelines) Sizes() []int {
	sent := p.Sent()
	sizes := make([]int, len(sent))
	for i, names := range sent {
		sizes[i] = len(names)
	}
	return sizes
}
