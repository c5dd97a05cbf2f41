package metrics

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/accesslog"
)

// Metrics holds Foyer's collectors and the registry they live in.
type Metrics struct {
	reg         *prometheus.Registry
	tenantLabel bool

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	limited       *prometheus.CounterVec
	signIns       *prometheus.CounterVec
	signUps       *prometheus.CounterVec
	resets        *prometheus.CounterVec
	mfaChanges    *prometheus.CounterVec
	redisLatency  *prometheus.HistogramVec
	redisErrors   *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	hookDelivered *prometheus.CounterVec
}

// New registers every collector on a fresh registry. tenantLabel adds a
// tenant label to the sign-in, sign-up, reset and MFA counters.
func New(tenantLabel bool) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg, tenantLabel: tenantLabel}
	perTenant := func(labels ...string) []string {
		if tenantLabel {
			return append(labels, "tenant")
		}
		return labels
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_http_requests_total", Help: "HTTP requests by route template, method and status class (2xx, 4xx, ...).",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "foyer_http_request_duration_seconds", Help: "HTTP request latency by route template and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_limiter_refusals_total", Help: "Requests refused by a rate limit (429), by route template and error code.",
	}, []string{"route", "code"})
	m.signIns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_sign_ins_total", Help: "Sign-ins by method and result: a success counts once, at submit, with its first factor; a failure counts the method that failed (password, code, passkey, totp, webauthn, backup_code).",
	}, perTenant("method", "result"))
	m.signUps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_sign_ups_total", Help: "Sign-ups by method (password, passkey, code) and result.",
	}, perTenant("method", "result"))
	m.resets = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_password_resets_total", Help: "Password resets by result (failures: wrong or expired codes).",
	}, perTenant("result"))
	m.mfaChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_mfa_changes_total", Help: "Second factors bound to existing accounts, by method.",
	}, perTenant("method"))
	m.redisLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "foyer_redis_command_duration_seconds", Help: "Redis command (or pipeline) latency by command name.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5},
	}, []string{"command"})
	m.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_redis_command_errors_total", Help: "Redis commands that failed (not counting a nil reply), by command name.",
	}, []string{"command"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_connector_deliveries_total", Help: "One-time code deliveries by channel (email, phone), connector (smtp, webhook, log) and result.",
	}, []string{"channel", "connector", "result"})
	m.hookDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foyer_webhook_deliveries_total", Help: "Webhook delivery attempts by event and result (success, failure, gave_up).",
	}, []string{"event", "result"})
	reg.MustRegister(m.requests, m.latency, m.limited, m.signIns, m.signUps, m.resets, m.mfaChanges,
		m.redisLatency, m.redisErrors, m.deliveries, m.hookDelivered,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the collectors live (for tests, and for more of them).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest counts a finished request (an accesslog observer).
func (m *Metrics) ObserveRequest(e accesslog.Entry) {
	m.requests.WithLabelValues(e.Route, e.Method, statusClass(e.Status)).Inc()
	m.latency.WithLabelValues(e.Route, e.Method).Observe(e.Duration.Seconds())
	if e.Status == http.StatusTooManyRequests {
		m.limited.WithLabelValues(e.Route, e.Code).Inc()
	}
}

func statusClass(s int) string {
	if s < 100 || s > 599 {
		return "other"
	}
	return [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}[s/100-1] // no string built per request
}

// Record counts an interaction outcome (an interaction.Recorder).
func (m *Metrics) Record(_ context.Context, a interaction.Activity) {
	labels := func(vals ...string) []string {
		if m.tenantLabel {
			return append(vals, a.TenantID)
		}
		return vals
	}
	switch a.Action {
	case interaction.ActionSignIn:
		m.signIns.WithLabelValues(labels(a.Method, a.Result)...).Inc()
	case interaction.ActionRegister:
		m.signUps.WithLabelValues(labels(a.Method, a.Result)...).Inc()
	case interaction.ActionResetPassword:
		m.resets.WithLabelValues(labels(a.Result)...).Inc()
	case interaction.ActionMFAChange:
		m.mfaChanges.WithLabelValues(labels(a.Method)...).Inc()
	}
}

var _ interaction.Recorder = (*Metrics)(nil)

// WebhookDelivered counts one webhook delivery attempt.
func (m *Metrics) WebhookDelivered(event, result string) {
	m.hookDelivered.WithLabelValues(event, result).Inc()
}

// Sender counts the deliveries of next, a connector of the given kind.
func (m *Metrics) Sender(channel, kind string, next connector.Sender) connector.Sender {
	return countingSender{m: m, channel: channel, kind: kind, next: next}
}

type countingSender struct {
	m             *Metrics
	channel, kind string
	next          connector.Sender
}

func (s countingSender) Send(ctx context.Context, msg connector.Message) error {
	err := s.next.Send(ctx, msg)
	result := "success"
	if err != nil {
		result = "failure"
	}
	s.m.deliveries.WithLabelValues(s.channel, s.kind, result).Inc()
	return err
}

// RedisHook returns a go-redis hook timing every command and pipeline.
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.observe(commandName(cmd), start, err)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		name := "pipeline"
		if len(cmds) == 1 {
			name = commandName(cmds[0])
		}
		h.observe(name, start, err)
		return err
	}
}

func (h redisHook) observe(name string, start time.Time, err error) {
	h.m.redisLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, redis.Nil) {
		h.m.redisErrors.WithLabelValues(name).Inc()
	}
}

// commandName is the lower-case command name, limited to letters so that a
// label value can never carry an argument.
func commandName(cmd redis.Cmder) string {
	n := strings.ToLower(cmd.Name())
	if len(n) > 24 || strings.ContainsFunc(n, func(r rune) bool { return (r < 'a' || r > 'z') && r != '.' && r != '_' }) {
		return "other"
	}
	return n
}

// RedisPool exports the connection pool statistics of rdb.
func (m *Metrics) RedisPool(rdb redis.UniversalClient) {
	m.reg.MustRegister(poolCollector{rdb: rdb})
}

var (
	poolHits     = prometheus.NewDesc("foyer_redis_pool_hits_total", "Times a free connection was found in the pool.", nil, nil)
	poolMisses   = prometheus.NewDesc("foyer_redis_pool_misses_total", "Times no free connection was found in the pool.", nil, nil)
	poolTimeouts = prometheus.NewDesc("foyer_redis_pool_timeouts_total", "Times a wait for a connection timed out.", nil, nil)
	poolTotal    = prometheus.NewDesc("foyer_redis_pool_connections", "Connections in the pool.", nil, nil)
	poolIdle     = prometheus.NewDesc("foyer_redis_pool_idle_connections", "Idle connections in the pool.", nil, nil)
	poolStale    = prometheus.NewDesc("foyer_redis_pool_stale_connections_total", "Stale connections removed from the pool.", nil, nil)
)

type poolCollector struct{ rdb redis.UniversalClient }

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolHits, poolMisses, poolTimeouts, poolTotal, poolIdle, poolStale} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.rdb.PoolStats()
	ch <- prometheus.MustNewConstMetric(poolHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(poolMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(poolTimeouts, prometheus.CounterValue, float64(s.Timeouts))
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.TotalConns))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns))
	ch <- prometheus.MustNewConstMetric(poolStale, prometheus.CounterValue, float64(s.StaleConns))
}
