package script

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Pending is a script queued in a pipeline.
type Pending struct {
	script *redis.Script
	keys   []string
	args   []any
	cmd    *redis.Cmd
}

// Queue queues s on p by its hash.
func Queue(ctx context.Context, p redis.Pipeliner, s *redis.Script, keys []string, args ...any) Pending {
	return Pending{script: s, keys: keys, args: args, cmd: s.EvalSha(ctx, p, keys, args...)}
}

// Cmd answers the script's reply once the pipeline has run: the queued
// one, or, when Redis did not know the script, that of sending it whole
// on c.
func (q Pending) Cmd(ctx context.Context, c redis.Scripter) *redis.Cmd {
	if err := q.cmd.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		return q.script.Run(ctx, c, q.keys, q.args...)
	}
	return q.cmd
}
