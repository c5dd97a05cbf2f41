package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/verification"
)

// config is everything Foyer reads at start-up. Each field has an
// environment variable and a flag of the same meaning; flags win.
type config struct {
	Addr        string
	RedisURL    string
	BaseDomain  string
	AdminKey    string
	Dev         bool
	IxTTL       time.Duration
	ReqTimeout  time.Duration
	TenantCache time.Duration
	// Login sessions end after SessionIdle without use, and after
	// SessionAbsolute whatever the use.
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// SecretKey (32 bytes, base64 or hex) seals TOTP secrets and keys the
	// hashes of one-time codes. Dev mode makes a random one per run.
	SecretKey string
	// EphemeralRedisURL, when set, is a second Redis for interactions and
	// rate-limit counters: keys with a lifetime, which it may evict.
	EphemeralRedisURL string
	// TrustedProxies (CIDRs or addresses, comma-separated) are the peers
	// whose X-Forwarded-For, Forwarded and X-Forwarded-Proto are believed;
	// empty trusts nobody, in dev mode too.
	TrustedProxies string
	// StartsPerMinute bounds the interactions one client address opens a
	// minute; raise it for a large office behind one NAT, or a load test.
	StartsPerMinute int

	opsConfig
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var cfg config
	var problems []string
	dur := func(k, def string) time.Duration {
		d, err := time.ParseDuration(env(k, def))
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s: want a positive duration such as %s", k, def))
			d, _ = time.ParseDuration(def) // reported once, here, not again by validate
		}
		return d
	}
	devEnv := env("FOYER_DEV", "")
	fs := flag.NewFlagSet("foyer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: foyer [flags]    run the server (every flag also reads FOYER_<NAME>)")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), cliUsage)
	}
	fs.StringVar(&cfg.Addr, "addr", env("FOYER_ADDR", "127.0.0.1:3001"), "listen address (FOYER_ADDR)")
	fs.StringVar(&cfg.RedisURL, "redis-url", env("FOYER_REDIS_URL", ""), "redis:// or rediss:// URL, or host:port,host:port for a Redis Cluster; empty: embedded in-memory store (FOYER_REDIS_URL)")
	fs.StringVar(&cfg.EphemeralRedisURL, "ephemeral-redis-url", env("FOYER_EPHEMERAL_REDIS_URL", ""), "a second Redis (URL or cluster seeds) for interactions and rate-limit counters, which may evict; empty keeps them in FOYER_REDIS_URL (FOYER_EPHEMERAL_REDIS_URL)")
	fs.StringVar(&cfg.BaseDomain, "base-domain", env("FOYER_BASE_DOMAIN", ""), "tenants live on <slug>.<base domain> (FOYER_BASE_DOMAIN)")
	fs.StringVar(&cfg.AdminKey, "admin-key", env("FOYER_ADMIN_KEY", ""), "bearer key of the admin API; empty disables it (FOYER_ADMIN_KEY)")
	fs.BoolVar(&cfg.Dev, "dev", devEnv == "1" || devEnv == "true", "dev mode: demo tenant on localhost, plain-http cookies (FOYER_DEV)")
	fs.DurationVar(&cfg.IxTTL, "interaction-ttl", dur("FOYER_INTERACTION_TTL", "1h"), "absolute lifetime of an interaction (FOYER_INTERACTION_TTL)")
	fs.DurationVar(&cfg.ReqTimeout, "request-timeout", dur("FOYER_REQUEST_TIMEOUT", "5s"), "deadline of one request (FOYER_REQUEST_TIMEOUT)")
	fs.DurationVar(&cfg.TenantCache, "tenant-cache", dur("FOYER_TENANT_CACHE", "10s"), "how long a resolved tenant is cached in-process (FOYER_TENANT_CACHE)")
	fs.DurationVar(&cfg.SessionIdle, "session-idle", dur("FOYER_SESSION_IDLE", "24h"), "login session idle timeout (FOYER_SESSION_IDLE)")
	fs.DurationVar(&cfg.SessionAbsolute, "session-absolute", dur("FOYER_SESSION_ABSOLUTE", "336h"), "login session absolute timeout (FOYER_SESSION_ABSOLUTE)")
	fs.StringVar(&cfg.SecretKey, "secret-key", env("FOYER_SECRET_KEY", ""), "32-byte server key, base64 or hex, sealing TOTP secrets (FOYER_SECRET_KEY)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", env("FOYER_TRUSTED_PROXIES", ""), "comma-separated CIDRs or addresses of proxies whose X-Forwarded-For, Forwarded and X-Forwarded-Proto are believed; empty trusts nobody (FOYER_TRUSTED_PROXIES)")
	starts, startsSet := 60, false
	if v := getenv("FOYER_NEW_INTERACTIONS_PER_MINUTE"); v != "" {
		if starts, _ = strconv.Atoi(v); starts < 1 {
			starts = 0 // reported by validate, once
		}
		startsSet = true
	}
	fs.IntVar(&cfg.StartsPerMinute, "new-interactions-per-minute", starts, fmt.Sprintf("new interactions one client address may open a minute; %d in dev mode unless set (FOYER_NEW_INTERACTIONS_PER_MINUTE)", devStartsPerMinute))
	cfg.opsConfig.register(fs, env, dur)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if devEnv != "" && devEnv != "0" && devEnv != "1" && devEnv != "true" && devEnv != "false" {
		problems = append(problems, "FOYER_DEV: want 1, true, 0 or false")
	}
	problems = append(problems, cfg.validate()...)
	problems = append(problems, cfg.opsConfig.validate()...)
	if cfg.metricsOnPublicAddr() {
		problems = append(problems, "FOYER_METRICS_ADDR: must differ from FOYER_ADDR (metrics are never served on the public port)")
	}
	if cfg.RedisURL == "" {
		cfg.Dev = true // the embedded store is for trying Foyer out
	}
	fs.Visit(func(f *flag.Flag) { startsSet = startsSet || f.Name == "new-interactions-per-minute" })
	if cfg.Dev && !startsSet {
		// A developer's scripts, load tests and test suites all come from
		// one address; the limit guards a shared deployment's Redis.
		cfg.StartsPerMinute = devStartsPerMinute
	}
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// devStartsPerMinute is the new-interaction limit per address in dev mode
// when none is configured.
const devStartsPerMinute = 100_000

// validate lists every problem at once, so one run shows them all.
func (c config) validate() []string {
	var p []string
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		p = append(p, fmt.Sprintf("FOYER_ADDR %q: want host:port", c.Addr))
	}
	if c.RedisURL != "" {
		if _, err := redisOptions(c.RedisURL); err != nil {
			p = append(p, "FOYER_REDIS_URL: "+err.Error())
		}
	}
	if c.EphemeralRedisURL != "" {
		if c.RedisURL == "" {
			p = append(p, "FOYER_EPHEMERAL_REDIS_URL: needs FOYER_REDIS_URL")
		} else if _, err := redisOptions(c.EphemeralRedisURL); err != nil {
			p = append(p, "FOYER_EPHEMERAL_REDIS_URL: "+err.Error())
		}
	}
	if c.BaseDomain != "" && (strings.ContainsAny(c.BaseDomain, ":/ ") || strings.HasPrefix(c.BaseDomain, ".")) {
		p = append(p, fmt.Sprintf("FOYER_BASE_DOMAIN %q: want a domain name such as example.app", c.BaseDomain))
	}
	for _, d := range []struct {
		flag string
		d    time.Duration
	}{
		{"interaction-ttl", c.IxTTL}, {"request-timeout", c.ReqTimeout}, {"tenant-cache", c.TenantCache},
		{"session-idle", c.SessionIdle}, {"session-absolute", c.SessionAbsolute},
	} {
		if d.d <= 0 {
			p = append(p, fmt.Sprintf("-%s: want a positive duration", d.flag))
		}
	}
	if c.SecretKey != "" {
		if _, err := verification.ParseSecretKey(c.SecretKey); err != nil {
			p = append(p, "FOYER_SECRET_KEY: want 32 bytes, base64 or hex")
		}
	} else if !c.Dev && c.RedisURL != "" {
		p = append(p, "FOYER_SECRET_KEY: required outside dev mode")
	}
	if _, err := httpx.ParseProxies(c.TrustedProxies); err != nil {
		p = append(p, "FOYER_TRUSTED_PROXIES: "+err.Error())
	}
	if c.StartsPerMinute < 1 {
		p = append(p, "FOYER_NEW_INTERACTIONS_PER_MINUTE: want a whole number of at least 1")
	}
	if c.AdminKey != "" && len(c.AdminKey) < 32 {
		p = append(p, "FOYER_ADMIN_KEY: want at least 32 characters")
	}
	if !c.Dev && c.RedisURL != "" && c.BaseDomain == "" {
		p = append(p, "FOYER_BASE_DOMAIN: required outside dev mode")
	}
	return p
}
