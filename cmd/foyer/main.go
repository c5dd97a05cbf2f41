// Command foyer runs the Foyer auth server.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/foyer-auth/foyer/internal/batch"
	"github.com/foyer-auth/foyer/internal/logbuf"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if isCLI(os.Args[1:]) {
		err = runCLI(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	}
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return // -h printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "foyer:", err)
		os.Exit(1)
	}
}

// run starts Foyer and serves until ctx is done, then shuts down gracefully:
// in-flight requests finish, then Redis closes.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	// One log line per request would be one write system call per
	// request: lines are written in batches (internal/logbuf), and every
	// one is out when run returns.
	lw := logbuf.New(stderr)
	defer lw.Close()
	log := newLogger(cfg, lw)
	if percent, limit := tuneGC(getenv, cgroupMemoryLimit()); percent > 0 || limit > 0 {
		log.Debug("garbage collector", "gogc", percent, "gomemlimit", limit)
	}
	// zitadel/oidc logs only through slog's default logger (its WithLogger
	// option does nothing), so the process default is ours: one format on
	// stderr. The one piece of global state main sets.
	slog.SetDefault(log)
	rdb, closeRedis, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer closeRedis()
	// The hot paths' commands go through one Batcher per Redis, stopped
	// (deferred) after the server and before the client.
	hot := batch.New(rdb)
	defer hot.Close()
	ephemeral, ephemeralHot := rdb, hot
	if cfg.EphemeralRedisURL != "" {
		eph, closeEph, err := openRedis(ctx, cfg.EphemeralRedisURL)
		if err != nil {
			return err
		}
		defer closeEph()
		ephemeral, ephemeralHot = eph, batch.New(eph)
		defer ephemeralHot.Close()
	}
	if cfg.RedisURL == "" {
		log.Warn("no FOYER_REDIS_URL: using the embedded in-memory store; data lives in memory only and is lost when Foyer stops (dev mode)")
	}
	now := time.Now
	tenants := tenant.NewStore(rdb, now)
	if cfg.Dev {
		if err := ensureDemoTenant(ctx, tenants); err != nil {
			return fmt.Errorf("demo tenant: %w", err)
		}
	}
	key, err := secretKey(cfg, log)
	if err != nil {
		return err
	}
	ops, stopOps, err := startOps(cfg, rdb, hot.Client(), log, key, now)
	if err != nil {
		return err
	}
	defer stopOps(cfg.ShutdownTimeout)
	app, err := newApp(cfg, deps{rdb: rdb, ephemeral: ephemeral, hot: hot.Client(), ephemeralHot: ephemeralHot.Client(), log: log, logOut: lw, logJSON: cfg.logJSON(), now: now, key: key,
		hasher: verification.NewHasher(verification.OWASPParams, runtime.GOMAXPROCS(0)), opsDeps: ops})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("foyer listening", "addr", ln.Addr().String(), "dev", cfg.Dev)
	_ = lw.Flush() // start-up is told at once
	if cfg.Dev {
		// A convenience: without it the server is still of use.
		if err := ensureDemoApp(ctx, rdb, ln.Addr(), log); err != nil {
			log.Warn("no demo OpenID Connect client", "error", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// ensureDemoTenant makes the dev-mode demo tenant, served on localhost and
// 127.0.0.1 (any port), if it does not exist yet.
func ensureDemoTenant(ctx context.Context, store *tenant.Store) error {
	_, err := store.BySlug(ctx, "demo")
	if !errors.Is(err, tenant.ErrNotFound) {
		return err
	}
	s := tenant.DefaultSettings()
	s.DisplayName = "Foyer demo"
	s.RPID = "localhost"
	_, err = store.Create(ctx, tenant.Tenant{Slug: "demo", Hosts: []string{"localhost", "127.0.0.1"}, Settings: s})
	if errors.Is(err, tenant.ErrTaken) {
		// Another replica started on the same Redis made it first, or
		// another tenant holds one of its hosts (then the error stands).
		if _, e := store.BySlug(ctx, "demo"); e == nil {
			return nil
		}
	}
	return err
}

// secretKey is FOYER_SECRET_KEY, or in dev mode without one a random key for
// this run (TOTP secrets sealed with it will not open after a restart).
func secretKey(cfg config, log *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != "" {
		return verification.ParseSecretKey(cfg.SecretKey)
	}
	log.Warn("no FOYER_SECRET_KEY: using a random key for this run; TOTP bindings will not survive a restart (dev mode)")
	key := make([]byte, verification.SecretKeySize)
	_, _ = rand.Read(key)
	return key, nil
}
