package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/audit"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/egress"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/accesslog"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/internal/metrics"
	"github.com/foyer-auth/foyer/internal/spool"
	"github.com/foyer-auth/foyer/management"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/verification"
	"github.com/foyer-auth/foyer/webhook"
)

// opsDeps are what operating Foyer adds to the app: metrics, the audit
// trail, webhooks and the egress rule. Their zero value (tests that build
// the app alone) turns each off.
type opsDeps struct {
	metrics  *metrics.Metrics
	recorder interaction.Recorder
	audit    *audit.Log
	hooks    *webhook.Store
	egress   *egress.Policy
	// outbound is the egress policy's transport, shared by every
	// tenant-configured HTTP connector.
	outbound http.RoundTripper
}

// newLogger is JSON unless in dev mode (or FOYER_LOG_FORMAT says), at
// FOYER_LOG_LEVEL.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	level, _ := cfg.level() // validated
	opts := &slog.HandlerOptions{Level: level}
	if !cfg.logJSON() {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// logJSON: the log is JSON unless in dev mode or FOYER_LOG_FORMAT says.
func (c config) logJSON() bool {
	if c.LogFormat == "" {
		return !c.Dev
	}
	return c.LogFormat == "json"
}

// recorders hands each activity to every recorder.
type recorders []interaction.Recorder

func (rs recorders) Record(ctx context.Context, a interaction.Activity) {
	for _, r := range rs {
		r.Record(ctx, a)
	}
}

// startOps builds the operations parts and starts their background work:
// the spool writer, the webhook dispatcher and the metrics listener. stop
// ends them within the timeout, flushing what the spool holds.
func startOps(cfg config, rdb redis.UniversalClient, hot redis.Cmdable, log *slog.Logger, key []byte, now func() time.Time) (opsDeps, func(time.Duration), error) {
	allow, err := egress.ParseAllow(cfg.EgressAllow) // validated
	if err != nil {
		return opsDeps{}, nil, err
	}
	box, err := verification.NewSecretBox(key)
	if err != nil {
		return opsDeps{}, nil, err
	}
	m := metrics.New(cfg.MetricsTenantLabel)
	rdb.AddHook(m.RedisHook())
	m.RedisPool(rdb)
	pol := egress.New(allow)
	sp := spool.New(rdb, log, now, 100_000)
	d := opsDeps{metrics: m, audit: audit.New(rdb, sp), hooks: webhook.NewStore(rdb, hot, box, now), egress: pol, outbound: pol.Transport()}
	d.recorder = recorders{m, d.audit, &webhook.Queue{Spool: sp}}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { sp.Run(); done <- struct{}{} }()
	disp := &webhook.Dispatcher{RDB: rdb, Hot: hot, Hooks: d.hooks, Client: webhook.NewClient(d.outbound), Log: log, Now: now,
		RetryBase: cfg.WebhookRetryBase, Observe: m.WebhookDelivered}
	go func() { disp.Run(ctx); done <- struct{}{} }()

	var msrv *http.Server
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			cancel()
			sp.Close(time.Second)
			return opsDeps{}, nil, fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		// Profiles of the live server, on the private listener only: how
		// the performance figures in the README were explained.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := msrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener", "error", err)
			}
		}()
		log.Info("metrics listening", "addr", ln.Addr().String())
	}
	stop := func(timeout time.Duration) {
		deadline := time.Now().Add(timeout)
		if msrv != nil {
			sctx, scancel := context.WithDeadline(context.Background(), deadline)
			_ = msrv.Shutdown(sctx)
			scancel()
		}
		cancel() // the dispatcher finishes the attempts under way
		if left := sp.Close(time.Until(deadline)); left > 0 {
			log.Warn("audit and webhook entries not written before shutdown", "entries", left)
		}
		for range 2 {
			select {
			case <-done:
			case <-time.After(time.Until(deadline)):
				return
			}
		}
	}
	return d, stop, nil
}

// accessLog is the outermost middleware: one log line and the request
// metrics per request.
func (d deps) accessLog(mappings []httpx.Mapping) fiber.Handler {
	o := accesslog.Options{Log: d.log, Mappings: mappings, Quiet: []string{"/healthz", "/readyz"}, Out: d.logOut, JSON: d.logJSON}
	if d.metrics != nil {
		o.Observers = append(o.Observers, d.metrics.ObserveRequest)
	}
	return accesslog.Middleware(o)
}

// adminOps are the admin API's users, audit-log and webhook endpoints.
func (d deps) adminOps(cfg config, store *session.Store, snd interaction.SenderFor) management.Ops {
	ops := management.Ops{
		Accounts: account.NewStore(d.rdb, d.now),
		Logins:   &session.Logins{Store: store, Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute, Now: d.now},
		Hasher:   d.hasher, Senders: snd, Now: d.now,
	}
	if d.audit != nil {
		ops.Audit = d.audit
	}
	if d.hooks != nil {
		ops.Hooks = d.hooks
	}
	return ops
}

// connectorOptions apply the egress rule to tenant-configured connectors.
func (d deps) smtpOptions() []connector.SMTPOption {
	if d.egress == nil {
		return nil
	}
	return []connector.SMTPOption{connector.WithEgress(d.egress)}
}

func (d deps) webhookOptions() []connector.WebhookOption {
	if d.outbound == nil {
		return nil
	}
	return []connector.WebhookOption{connector.WithTransport(d.outbound)}
}

// countSender wraps a connector with the delivery counter.
func (d deps) countSender(channel, kind string, s connector.Sender) connector.Sender {
	if d.metrics == nil {
		return s
	}
	return d.metrics.Sender(channel, kind, s)
}
