// Command soak runs Foyer under steady mixed load for a bounded time while
// it kills and pauses Redis, and prints what a pager would want to know:
// requests by status, latency per route, errors other than 503 while Redis
// was away, acknowledged sign-ups missing afterwards, webhook deliveries
// missing after recovery, and how long Foyer took to recover once Redis was
// back. Everything runs on 127.0.0.1 (redis-server, foyer, an SMTP sink,
// a webhook receiver) and stops by itself: scripts/soak.sh builds and runs
// it.
//
//	go run ./cmd/soak -foyer /tmp/foyer -duration 120s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.foyer, "foyer", "", "the foyer binary to run (required)")
	flag.StringVar(&o.redis, "redis-server", "redis-server", "the redis-server binary")
	flag.DurationVar(&o.duration, "duration", 120*time.Second, "how long the load runs (at most 150s)")
	flag.Float64Var(&o.rate, "rate", 12, "flows started per second")
	flag.IntVar(&o.workers, "workers", 32, "concurrent virtual users")
	flag.Parse()
	if o.foyer == "" {
		fmt.Fprintln(os.Stderr, "soak: -foyer is required")
		os.Exit(2)
	}
	if o.duration > 150*time.Second {
		o.duration = 150 * time.Second // the whole run stays under 3 minutes
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A hard bound on everything: set-up, load, faults and the checks after.
	ctx, cancel := context.WithTimeout(ctx, o.duration+55*time.Second)
	defer cancel()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(3) // a goal was missed; the report says which
	}
}

type options struct {
	foyer, redis string
	duration     time.Duration
	rate         float64
	workers      int
}

var errSetup = errors.New("set-up failed")
