package script

import (
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

var incrBy = redis.NewScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`)

// TestQueuedScriptsFallBackOnce: on a Redis that has never seen the
// script, the queued EVALSHAs fail with NOSCRIPT and Cmd sends them again,
// the script whole only until Redis knows it; afterwards the pipeline's
// hashes alone do.
func TestQueuedScriptsFallBackOnce(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t).Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	var mu sync.Mutex
	sent := map[string]int{}
	rdb.AddHook(redistest.Observer{Seen: func(cmd redis.Cmder) {
		mu.Lock()
		sent[cmd.Name()]++
		mu.Unlock()
	}})
	ctx := t.Context()
	run := func() []int64 {
		var q []Pending
		_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			q = append(q, Queue(ctx, p, incrBy, []string{"a"}, 2), Queue(ctx, p, incrBy, []string{"b"}, 3))
			return nil
		})
		out := make([]int64, len(q))
		for i, c := range q {
			n, err := c.Cmd(ctx, rdb).Int64()
			require.NoError(t, err)
			out[i] = n
		}
		return out
	}

	require.Equal(t, []int64{2, 3}, run())
	require.Equal(t, 1, sent["eval"], "the first use sends the script whole, once")
	require.Equal(t, 2+2, sent["evalsha"], "the pipeline's, then each call's again")
	require.Equal(t, []int64{4, 6}, run())
	require.Equal(t, 1, sent["eval"], "then the hash is enough")
	require.Equal(t, 2+2+2, sent["evalsha"])
}
