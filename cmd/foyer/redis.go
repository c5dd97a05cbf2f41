package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/breaker"
)

// Timeouts are short so that a Redis outage turns into a fast 503 rather
// than requests piling up; go-redis re-dials on its own when Redis is back.
const (
	redisDialTimeout = 300 * time.Millisecond
	redisIOTimeout   = 400 * time.Millisecond
	// redisOpTimeout bounds one command or pipeline, all steps included
	// (see breaker.Deadline).
	redisOpTimeout = 400 * time.Millisecond
)

// redisOptions turns FOYER_REDIS_URL into client options: a redis:// or
// rediss:// URL for one node, or host:port,host:port,... for a Cluster.
func redisOptions(raw string) (*redis.UniversalOptions, error) {
	var o redis.UniversalOptions
	if strings.Contains(raw, "://") {
		u, err := redis.ParseURL(raw)
		if err != nil {
			return nil, err
		}
		o = redis.UniversalOptions{Addrs: []string{u.Addr}, Username: u.Username, Password: u.Password, DB: u.DB, TLSConfig: u.TLSConfig}
	} else {
		for _, a := range strings.Split(raw, ",") {
			if _, _, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil {
				return nil, fmt.Errorf("%q: want redis://host:port or host:port,host:port", a)
			}
			o.Addrs = append(o.Addrs, strings.TrimSpace(a))
		}
		o.IsClusterMode = len(o.Addrs) > 1
	}
	o.DialTimeout = redisDialTimeout
	// go-redis re-dials 5 times, 100 ms apart, by default: with Redis down
	// that alone would hold a request for half a second.
	o.DialerRetries = 1
	o.ReadTimeout = redisIOTimeout
	o.WriteTimeout = redisIOTimeout
	o.PoolTimeout = redisIOTimeout
	// No retries: go-redis retries a command whose connection broke after
	// it was written, and a compare-and-swap or a user write that already
	// ran would then run twice (a challenge "already used", a duplicate
	// proof). A failed command answers 503 and the client tries again.
	o.MaxRetries = -1
	o.ContextTimeoutEnabled = true
	// RESP2: Foyer uses no push notifications (client-side caching,
	// maintenance events), and under RESP3 go-redis checks for them
	// around every reply it reads, a few per cent of an options call.
	o.Protocol = 2
	return &o, nil
}

// openRedis connects to FOYER_REDIS_URL, or starts the embedded store. The
// returned function releases it.
func openRedis(ctx context.Context, url string) (redis.UniversalClient, func(), error) {
	if url == "" {
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("start embedded store: %w", err)
		}
		o, _ := redisOptions("redis://" + mr.Addr())
		rdb := newRedisClient(o)
		return rdb, func() { _ = rdb.Close(); mr.Close() }, nil
	}
	o, err := redisOptions(url)
	if err != nil {
		return nil, nil, err
	}
	rdb := newRedisClient(o)
	return rdb, func() { _ = rdb.Close() }, nil
}

// After a Redis timeout a circuit breaker refuses commands for
// redisCooldown, then admits them for redisProbe, in turn, until Redis
// answers (see package breaker). While Redis hangs, about one request in
// twelve waits out a timeout; the others fail at once.
const (
	redisCooldown = 200 * time.Millisecond
	redisProbe    = 20 * time.Millisecond
)

// newRedisClient is redis.NewUniversalClient with a circuit breaker on each
// node's client, so that while a node hangs its commands fail at once
// instead of each waiting out a timeout.
func newRedisClient(o *redis.UniversalOptions) redis.UniversalClient {
	if len(o.Addrs) > 1 || o.IsClusterMode {
		co := o.Cluster()
		co.NewClient = newNodeClient
		return redis.NewClusterClient(co)
	}
	return newNodeClient(o.Simple())
}

// newNodeClient is the client of one Redis node: a Breaker remembers that
// it hangs, and a Deadline bounds each command and pipeline as a whole.
func newNodeClient(o *redis.Options) *redis.Client {
	o.Limiter = breaker.New(redisCooldown, redisProbe, time.Now)
	c := redis.NewClient(o)
	c.AddHook(breaker.Deadline(redisOpTimeout))
	return c
}
