package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/foyer-auth/foyer/egress"
)

// opsConfig is what an operator tunes to run Foyer: logs, metrics, the
// outbound-connection rule and shutdown. It is embedded in config.
type opsConfig struct {
	LogLevel  string // debug, info, warn, error
	LogFormat string // json or text; "" means text in dev mode, json otherwise
	// MetricsAddr is the separate listener of GET /metrics; "" disables it.
	MetricsAddr string
	// MetricsTenantLabel adds a tenant label to the per-tenant counters
	// (bounded by the number of tenants, so off by default).
	MetricsTenantLabel bool
	// EgressAllow lists the CIDRs that tenant-configured outbound URLs may
	// reach although they are loopback, private or link-local.
	EgressAllow string
	// ShutdownTimeout bounds how long SIGTERM waits for in-flight requests.
	ShutdownTimeout time.Duration
	// WebhookRetryBase is the first retry delay of a failed webhook
	// delivery; each later one doubles it.
	WebhookRetryBase time.Duration
}

// register declares the flags; env and dur read the environment with
// defaults (dur records a malformed duration as a problem).
func (o *opsConfig) register(fs *flag.FlagSet, env func(k, def string) string, dur func(k, def string) time.Duration) {
	fs.StringVar(&o.LogLevel, "log-level", env("FOYER_LOG_LEVEL", "info"), "debug, info, warn or error (FOYER_LOG_LEVEL)")
	fs.StringVar(&o.LogFormat, "log-format", env("FOYER_LOG_FORMAT", ""), "json or text; default text in dev mode, json otherwise (FOYER_LOG_FORMAT)")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", env("FOYER_METRICS_ADDR", ""), "listen address of the Prometheus /metrics endpoint; empty disables it (FOYER_METRICS_ADDR)")
	tl := env("FOYER_METRICS_TENANT_LABEL", "")
	fs.BoolVar(&o.MetricsTenantLabel, "metrics-tenant-label", tl == "1" || tl == "true", "label sign-in and sign-up counters with the tenant id (FOYER_METRICS_TENANT_LABEL)")
	fs.StringVar(&o.EgressAllow, "egress-allow", env("FOYER_EGRESS_ALLOW", ""), "comma-separated CIDRs that webhooks and connectors may reach although loopback, private or link-local (FOYER_EGRESS_ALLOW)")
	fs.DurationVar(&o.ShutdownTimeout, "shutdown-timeout", dur("FOYER_SHUTDOWN_TIMEOUT", "10s"), "how long SIGTERM waits for in-flight requests (FOYER_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&o.WebhookRetryBase, "webhook-retry-base", dur("FOYER_WEBHOOK_RETRY_BASE", "5s"), "first retry delay of a failed webhook delivery, doubled at each try (FOYER_WEBHOOK_RETRY_BASE)")
}

func (o opsConfig) validate() []string {
	var p []string
	if _, err := o.level(); err != nil {
		p = append(p, "FOYER_LOG_LEVEL: want debug, info, warn or error")
	}
	if o.LogFormat != "" && o.LogFormat != "json" && o.LogFormat != "text" {
		p = append(p, "FOYER_LOG_FORMAT: want json or text")
	}
	if o.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(o.MetricsAddr); err != nil || port == "" {
			p = append(p, fmt.Sprintf("FOYER_METRICS_ADDR %q: want host:port", o.MetricsAddr))
		}
	}
	if _, err := egress.ParseAllow(o.EgressAllow); err != nil {
		p = append(p, "FOYER_EGRESS_ALLOW: "+err.Error())
	}
	if o.ShutdownTimeout <= 0 {
		p = append(p, "-shutdown-timeout: want a positive duration")
	}
	if o.WebhookRetryBase <= 0 {
		p = append(p, "-webhook-retry-base: want a positive duration")
	}
	return p
}

func (o opsConfig) level() (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(strings.ToUpper(o.LogLevel)))
	return l, err
}

// metricsOnPublicAddr reports whether the metrics listener would share the
// public one: it must not, since /metrics is for the operator only.
func (c config) metricsOnPublicAddr() bool {
	return c.MetricsAddr != "" && c.MetricsAddr == c.Addr
}
