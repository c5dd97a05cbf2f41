package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/flows"
)

// Hard bounds: no flag makes a run longer or larger than these.
const (
	maxPhase    = 10 * time.Second // any one phase: seeding, a pass, a load
	maxRun      = 2 * time.Minute  // the whole run
	maxUsers    = 5000
	maxSignIns  = 1_000_000 // per load phase
	maxSeq      = 1000
	maxVerifies = 1_000_000
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadflow:", err)
		os.Exit(1)
	}
}

type config struct {
	origin        string
	redisURL      string
	pid           int
	users         int
	passwordUsers int
	conc          int
	duration      time.Duration
	maxSignIns    int
	seq           int
	verifies      int
	memory        bool
	alg           int
	flows         []string
	pprofURL      string       // Foyer's metrics listener, for -profile
	pprof         *http.Client // dials pprofURL's port on 127.0.0.1 only
	profile       string       // where the first load phase's CPU profile goes
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadflow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.origin, "url", "", "Foyer's demo tenant: http://localhost:PORT (dialled on 127.0.0.1)")
	fs.StringVar(&c.redisURL, "redis", "", "Foyer's Redis, for its counters and MEMORY USAGE: redis://127.0.0.1:PORT")
	fs.IntVar(&c.pid, "pid", 0, "Foyer's process id, for its CPU time and syscalls (0: not reported)")
	fs.IntVar(&c.users, "users", 64, "users seeded with a password and a passkey (at least -c)")
	fs.IntVar(&c.passwordUsers, "password-users", 32, "users seeded with a password only")
	fs.IntVar(&c.conc, "c", 32, "concurrent workers of a load phase")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "length of each load phase (at most 10s)")
	fs.IntVar(&c.maxSignIns, "max", 200_000, "sign-ins per load phase at the most")
	fs.IntVar(&c.seq, "seq", 50, "sign-ins of each sequential pass")
	fs.IntVar(&c.verifies, "verifies", 20_000, "ES256 verifications timed for the floor")
	fs.BoolVar(&c.memory, "memory", true, "report the Redis bytes of interactions, users and credentials")
	fs.IntVar(&c.alg, "alg", -7, "COSE algorithm of the seeded passkeys (-7 ES256, -8 EdDSA, -257 RS256)")
	names := fs.String("flows", "passkey,password", "the sign-in flows to run, in order")
	fs.StringVar(&c.pprofURL, "pprof", "", "Foyer's metrics listener (http://127.0.0.1:PORT), which serves /debug/pprof: needed by -profile")
	fs.StringVar(&c.profile, "profile", "", "write a CPU profile of Foyer during the first load phase to this file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.flows = strings.Split(*names, ",")
	for _, name := range c.flows {
		if name != "passkey" && name != "password" {
			return c, fmt.Errorf("-flows: unknown flow %q (passkey, password)", name)
		}
	}
	switch {
	case c.origin == "" || c.redisURL == "":
		return c, errors.New("-url and -redis are required")
	case c.duration <= 0 || c.duration > maxPhase:
		return c, fmt.Errorf("-duration %s: want (0, %s]", c.duration, maxPhase)
	case c.conc < 1 || c.conc > 1024:
		return c, fmt.Errorf("-c %d: want 1..1024", c.conc)
	case c.users < c.conc || c.users > maxUsers:
		return c, fmt.Errorf("-users %d: want -c (%d) to %d: a passkey is used by one worker at a time, its counter must reach Foyer in order", c.users, c.conc, maxUsers)
	case c.passwordUsers < 1 || c.passwordUsers > maxUsers:
		return c, fmt.Errorf("-password-users %d: want 1..%d", c.passwordUsers, maxUsers)
	case c.maxSignIns < 1 || c.maxSignIns > maxSignIns:
		return c, fmt.Errorf("-max %d: want 1..%d", c.maxSignIns, maxSignIns)
	case c.seq < 1 || c.seq > maxSeq:
		return c, fmt.Errorf("-seq %d: want 1..%d", c.seq, maxSeq)
	case c.verifies < 100 || c.verifies > maxVerifies:
		return c, fmt.Errorf("-verifies %d: want 100..%d", c.verifies, maxVerifies)
	case (c.profile == "") != (c.pprofURL == ""):
		return c, errors.New("-profile and -pprof go together")
	}
	if c.pprofURL != "" {
		// The sign-ins' own client: it takes only a loopback URL and dials
		// 127.0.0.1 whatever the URL says.
		var err error
		if c.pprof, err = flows.NewClient(c.pprofURL, 1); err != nil {
			return c, fmt.Errorf("-pprof: %w", err)
		}
	}
	return c, nil
}

// loopbackRedis connects to redisURL, which must name 127.0.0.1.
func loopbackRedis(redisURL string) (*redis.Client, error) {
	o, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	if host, _, _ := net.SplitHostPort(o.Addr); host != "127.0.0.1" {
		return nil, fmt.Errorf("-redis %q: want redis://127.0.0.1:PORT", redisURL)
	}
	o.PoolSize = 2
	return redis.NewClient(o), nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseConfig(args, os.Stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, maxRun)
	defer cancel()
	hc, err := flows.NewClient(cfg.origin, cfg.conc)
	if err != nil {
		return err
	}
	rdb, err := loopbackRedis(cfg.redisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	r := &runner{cfg: cfg, hc: hc, rdb: rdb, out: stdout, proc: procOf(cfg.pid)}
	return r.all(ctx)
}
