package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// env is a getenv over a fixed map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := parseConfig(nil, env(map[string]string{
		"FOYER_ADDR":            "no-port-here",
		"FOYER_REDIS_URL":       "ftp://redis.example:6379",
		"FOYER_ADMIN_KEY":       "too-short",
		"FOYER_INTERACTION_TTL": "forever",
		"FOYER_REQUEST_TIMEOUT": "-5s",
		"FOYER_BASE_DOMAIN":     "auth.example",
		"FOYER_DEV":             "yes",
	}), io.Discard)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`FOYER_ADDR "no-port-here"`,
		"FOYER_REDIS_URL:",
		"FOYER_ADMIN_KEY: want at least 32 characters",
		"FOYER_INTERACTION_TTL: want a positive duration",
		"FOYER_REQUEST_TIMEOUT: want a positive duration",
		"FOYER_DEV: want 1, true, 0 or false",
		"FOYER_SECRET_KEY: required outside dev mode",
	} {
		require.Contains(t, msg, want)
	}
	require.Equal(t, 7, strings.Count(msg, "\n  "), "one line per problem:\n%s", msg)
	// The admin key is a secret: its value is never repeated.
	require.NotContains(t, msg, "too-short")
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // "" means valid
	}{
		{"defaults", nil, ""},
		{"bad addr", map[string]string{"FOYER_ADDR": "localhost"}, "FOYER_ADDR"},
		{"empty port", map[string]string{"FOYER_ADDR": "127.0.0.1:"}, "FOYER_ADDR"},
		{"bad redis url scheme", map[string]string{"FOYER_REDIS_URL": "http://x:1", "FOYER_BASE_DOMAIN": "a.example"}, "FOYER_REDIS_URL"},
		{"bad redis url port", map[string]string{"FOYER_REDIS_URL": "redis://x:notaport", "FOYER_BASE_DOMAIN": "a.example"}, "FOYER_REDIS_URL"},
		{"bad cluster list", map[string]string{"FOYER_REDIS_URL": "a:1,b", "FOYER_BASE_DOMAIN": "a.example"}, "FOYER_REDIS_URL"},
		{"trailing comma", map[string]string{"FOYER_REDIS_URL": "a:1,", "FOYER_BASE_DOMAIN": "a.example"}, "FOYER_REDIS_URL"},
		{"short admin key", map[string]string{"FOYER_ADMIN_KEY": strings.Repeat("k", 31)}, "FOYER_ADMIN_KEY"},
		{"long admin key", map[string]string{"FOYER_ADMIN_KEY": strings.Repeat("k", 32)}, ""},
		{"bad duration", map[string]string{"FOYER_TENANT_CACHE": "10"}, "FOYER_TENANT_CACHE"},
		{"new interactions raised", map[string]string{"FOYER_NEW_INTERACTIONS_PER_MINUTE": "100000"}, ""},
		{"new interactions zero", map[string]string{"FOYER_NEW_INTERACTIONS_PER_MINUTE": "0"}, "FOYER_NEW_INTERACTIONS_PER_MINUTE"},
		{"new interactions not a number", map[string]string{"FOYER_NEW_INTERACTIONS_PER_MINUTE": "many"}, "FOYER_NEW_INTERACTIONS_PER_MINUTE"},
		{"zero duration", map[string]string{"FOYER_INTERACTION_TTL": "0s"}, "FOYER_INTERACTION_TTL"},
		{"bad base domain", map[string]string{"FOYER_BASE_DOMAIN": "https://auth.example"}, "FOYER_BASE_DOMAIN"},
		{"base domain required with redis", map[string]string{"FOYER_REDIS_URL": "redis://127.0.0.1:6379"}, "FOYER_BASE_DOMAIN: required"},
		{"dev mode needs no base domain", map[string]string{"FOYER_REDIS_URL": "redis://127.0.0.1:6379", "FOYER_DEV": "1"}, ""},
		{"ephemeral redis", map[string]string{"FOYER_REDIS_URL": "redis://a:1", "FOYER_EPHEMERAL_REDIS_URL": "redis://b:2", "FOYER_DEV": "1"}, ""},
		{"ephemeral redis alone", map[string]string{"FOYER_EPHEMERAL_REDIS_URL": "redis://b:2"}, "FOYER_EPHEMERAL_REDIS_URL: needs FOYER_REDIS_URL"},
		{"bad ephemeral redis url", map[string]string{"FOYER_REDIS_URL": "redis://a:1", "FOYER_EPHEMERAL_REDIS_URL": "ftp://b:2", "FOYER_DEV": "1"}, "FOYER_EPHEMERAL_REDIS_URL"},
		{"trusted proxies", map[string]string{"FOYER_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,::1"}, ""},
		{"trusted proxy not an address", map[string]string{"FOYER_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "FOYER_TRUSTED_PROXIES"},
		{"trusted proxy bad prefix", map[string]string{"FOYER_TRUSTED_PROXIES": "10.0.0.0/40"}, "FOYER_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(nil, env(tt.env), io.Discard)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:3001", cfg.Addr)
	require.Empty(t, cfg.RedisURL)
	require.Empty(t, cfg.AdminKey)
	require.True(t, cfg.Dev, "no FOYER_REDIS_URL: the embedded store is for trying Foyer out")
	require.Equal(t, time.Hour, cfg.IxTTL)
	require.Equal(t, 5*time.Second, cfg.ReqTimeout)
	require.Equal(t, 10*time.Second, cfg.TenantCache)
	require.Empty(t, cfg.TrustedProxies, "nobody is trusted unless configured, dev mode too")
}

func TestConfigFlagsOverrideEnv(t *testing.T) {
	e := env(map[string]string{
		"FOYER_ADDR":            "0.0.0.0:80",
		"FOYER_REDIS_URL":       "redis://env-redis:6379",
		"FOYER_BASE_DOMAIN":     "env.example",
		"FOYER_ADMIN_KEY":       strings.Repeat("e", 40),
		"FOYER_DEV":             "0",
		"FOYER_INTERACTION_TTL": "30m",
		"FOYER_REQUEST_TIMEOUT": "3s",
		"FOYER_TENANT_CACHE":    "1s",
		"FOYER_SECRET_KEY":      strings.Repeat("ab", 32),
		"FOYER_TRUSTED_PROXIES": "10.0.0.0/8",
	})
	cfg, err := parseConfig([]string{
		"--addr", "127.0.0.1:9999",
		"--redis-url", "redis://flag-redis:6380/2",
		"--base-domain=flag.example",
		"--admin-key", strings.Repeat("f", 40),
		"--dev",
		"--interaction-ttl=2h",
		"--request-timeout", "7s",
		"--tenant-cache", "1m",
		"--trusted-proxies", "192.0.2.1",
	}, e, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cfg.Addr)
	require.Equal(t, "redis://flag-redis:6380/2", cfg.RedisURL)
	require.Equal(t, "flag.example", cfg.BaseDomain)
	require.Equal(t, strings.Repeat("f", 40), cfg.AdminKey)
	require.True(t, cfg.Dev)
	require.Equal(t, 2*time.Hour, cfg.IxTTL)
	require.Equal(t, 7*time.Second, cfg.ReqTimeout)
	require.Equal(t, time.Minute, cfg.TenantCache)
	require.Equal(t, "192.0.2.1", cfg.TrustedProxies)

	// And without flags the environment is used.
	cfg, err = parseConfig(nil, e, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:80", cfg.Addr)
	require.Equal(t, "redis://env-redis:6379", cfg.RedisURL)
	require.False(t, cfg.Dev)
	require.Equal(t, 30*time.Minute, cfg.IxTTL)
	require.Equal(t, 3*time.Second, cfg.ReqTimeout)
	require.Equal(t, time.Second, cfg.TenantCache)
	require.Equal(t, "10.0.0.0/8", cfg.TrustedProxies)
}

func TestConfigUnknownFlag(t *testing.T) {
	var stderr strings.Builder
	_, err := parseConfig([]string{"--no-such-flag"}, env(nil), &stderr)
	require.Error(t, err)
	require.Contains(t, stderr.String(), "no-such-flag")
}

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		raw     string
		addrs   []string
		cluster bool
		db      int
	}{
		{"redis://127.0.0.1:6379", []string{"127.0.0.1:6379"}, false, 0},
		{"redis://user:pw@redis.example:6380/3", []string{"redis.example:6380"}, false, 3},
		{"127.0.0.1:6379", []string{"127.0.0.1:6379"}, false, 0},
		{"10.0.0.1:7000,10.0.0.2:7001", []string{"10.0.0.1:7000", "10.0.0.2:7001"}, true, 0},
		{"a:7000, b:7001 ,c:7002", []string{"a:7000", "b:7001", "c:7002"}, true, 0},
		{"[::1]:7000,[::1]:7001", []string{"[::1]:7000", "[::1]:7001"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			o, err := redisOptions(tt.raw)
			require.NoError(t, err)
			require.Equal(t, tt.addrs, o.Addrs)
			require.Equal(t, tt.cluster, o.IsClusterMode)
			require.Equal(t, tt.db, o.DB)
			// Short timeouts turn an outage into a fast 503.
			require.Equal(t, redisDialTimeout, o.DialTimeout)
			require.Equal(t, redisIOTimeout, o.ReadTimeout)
			require.True(t, o.ContextTimeoutEnabled)
		})
	}

	cfg, err := parseConfig(nil, env(map[string]string{
		"FOYER_REDIS_URL":   "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002",
		"FOYER_BASE_DOMAIN": "auth.example",
		"FOYER_SECRET_KEY":  strings.Repeat("ab", 32),
	}), io.Discard)
	require.NoError(t, err)
	o, err := redisOptions(cfg.RedisURL)
	require.NoError(t, err)
	require.True(t, o.IsClusterMode)
	require.Len(t, o.Addrs, 3)
}

func TestNewInteractionLimitDefaults(t *testing.T) {
	prod := map[string]string{"FOYER_REDIS_URL": "redis://a:1", "FOYER_BASE_DOMAIN": "a.example", "FOYER_SECRET_KEY": strings.Repeat("ab", 32)}
	cfg, err := parseConfig(nil, env(prod), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 60, cfg.StartsPerMinute, "a shared deployment guards its Redis")

	cfg, err = parseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, devStartsPerMinute, cfg.StartsPerMinute, "dev mode: one developer's address opens many")

	cfg, err = parseConfig([]string{"-dev", "-new-interactions-per-minute", "5"}, env(prod), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5, cfg.StartsPerMinute, "a flag wins in dev mode too")

	cfg, err = parseConfig(nil, env(map[string]string{"FOYER_NEW_INTERACTIONS_PER_MINUTE": "7"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, 7, cfg.StartsPerMinute, "so does the environment")
}
