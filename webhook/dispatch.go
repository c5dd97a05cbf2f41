package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/connector"
)

// Request headers besides the signature and timestamp (connector's).
const (
	HeaderEvent    = "X-Foyer-Event"
	HeaderDelivery = "X-Foyer-Delivery"
)

// Dispatcher delivers queued events. Any number of Foyer processes may run
// one; each delivery is made by one of them at a time.
type Dispatcher struct {
	RDB redis.UniversalClient
	// Hot, a batching face of RDB, sends the per-event commands; nil
	// means RDB.
	Hot    redis.Cmdable
	Hooks  *Store
	Client *http.Client // its transport applies the egress policy
	Log    *slog.Logger
	Now    func() time.Time
	// RetryBase is the wait after the first failed attempt; each later wait
	// doubles, up to RetryMax. MaxAttempts ends the tries.
	RetryBase   time.Duration
	RetryMax    time.Duration
	MaxAttempts int64
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Observe, if set, is told of each attempt's result (success, failure, gave_up).
	Observe func(event, result string)

	consumer string
	mu       sync.Mutex
	inflight map[string]bool
	wg       sync.WaitGroup
	sem      chan struct{}
}

// Payload is the JSON body of a delivery.
type Payload struct {
	ID        string    `json:"id"`
	Event     string    `json:"event"`
	CreatedAt time.Time `json:"createdAt"`
	Timestamp int64     `json:"timestamp"`
	TenantID  string    `json:"tenantId"`
	HookID    string    `json:"hookId"`
	UserID    string    `json:"userId,omitempty"`
	UserIP    string    `json:"userIp,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	Method    string    `json:"method,omitempty"`
	Attempt   int64     `json:"attempt"`
}

func (d *Dispatcher) defaults() {
	if d.RetryBase <= 0 {
		d.RetryBase = 5 * time.Second
	}
	if d.RetryMax <= 0 {
		d.RetryMax = time.Hour
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 10
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	host, _ := os.Hostname()
	d.consumer = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	d.inflight = map[string]bool{}
	d.sem = make(chan struct{}, 8)
	if d.Hot == nil {
		d.Hot = d.RDB
	}
}

// delay is the wait after the n-th attempt.
func (d *Dispatcher) delay(n int64) time.Duration {
	w := d.RetryBase
	for i := int64(1); i < n && w < d.RetryMax; i++ {
		w *= 2
	}
	return min(w, d.RetryMax)
}

// Run delivers until ctx is done, then waits for deliveries under way.
func (d *Dispatcher) Run(ctx context.Context) {
	d.defaults()
	defer d.wg.Wait()
	lastRetry := time.Time{}
	// The group is made once, and again only when Redis says it is gone
	// (a flushed or restarted Redis): not before every read.
	haveGroup := false
	for ctx.Err() == nil {
		if !haveGroup {
			if err := d.ensureGroup(ctx); err != nil {
				d.pause(ctx, err)
				continue
			}
			haveGroup = true
		}
		if time.Since(lastRetry) >= min(d.RetryBase/2, time.Second) {
			lastRetry = time.Now()
			if err := d.retry(ctx); err != nil {
				d.pause(ctx, err)
				continue
			}
		}
		streams, err := d.RDB.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: Group, Consumer: d.consumer, Streams: []string{QueueKey, ">"},
			Count: 16, Block: min(d.RetryBase/2, time.Second),
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			haveGroup = haveGroup && !redis.HasErrorPrefix(err, "NOGROUP")
			d.pause(ctx, err)
			continue
		}
		for _, st := range streams {
			for _, m := range st.Messages {
				d.start(ctx, m, 1)
			}
		}
	}
}

func (d *Dispatcher) pause(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	d.Log.Debug("webhook dispatcher: redis", "error", err)
	select {
	case <-ctx.Done():
	case <-time.After(500 * time.Millisecond):
	}
}

func (d *Dispatcher) ensureGroup(ctx context.Context) error {
	err := d.RDB.XGroupCreateMkStream(ctx, QueueKey, Group, "0").Err()
	if err != nil && !redis.HasErrorPrefix(err, "BUSYGROUP") {
		return err
	}
	return nil
}

// retry claims the deliveries whose back-off has passed, whoever held
// them. It pages through the whole pending list: the oldest entries may be
// waiting out long back-offs while newer ones are due.
func (d *Dispatcher) retry(ctx context.Context) error {
	start := "-"
	for range 64 { // at most 4,096 pending entries a pass
		pend, err := d.RDB.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: QueueKey, Group: Group, Idle: d.RetryBase, Start: start, End: "+", Count: 64,
		}).Result()
		if err != nil {
			if redis.HasErrorPrefix(err, "NOGROUP") {
				return nil
			}
			return err
		}
		if err := d.claimDue(ctx, pend); err != nil {
			return err
		}
		if len(pend) < 64 {
			return nil
		}
		start = "(" + pend[len(pend)-1].ID
	}
	return nil
}

// claimDue claims and starts the entries of pend whose back-off has passed.
func (d *Dispatcher) claimDue(ctx context.Context, pend []redis.XPendingExt) error {
	for _, p := range pend {
		wait := d.delay(p.RetryCount)
		if p.Idle < wait || d.busy(p.ID) {
			continue
		}
		msgs, err := d.RDB.XClaim(ctx, &redis.XClaimArgs{
			Stream: QueueKey, Group: Group, Consumer: d.consumer, MinIdle: wait, Messages: []string{p.ID},
		}).Result()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			d.start(ctx, m, p.RetryCount+1)
		}
		if len(msgs) == 0 {
			// Trimmed or deleted from the stream: nothing left to deliver.
			_ = d.RDB.XAck(ctx, QueueKey, Group, p.ID).Err()
		}
	}
	return nil
}

func (d *Dispatcher) busy(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inflight[id]
}

// start handles m in its own goroutine, at most 8 at once.
func (d *Dispatcher) start(ctx context.Context, m redis.XMessage, attempt int64) {
	d.mu.Lock()
	if d.inflight[m.ID] {
		d.mu.Unlock()
		return
	}
	d.inflight[m.ID] = true
	d.mu.Unlock()
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		d.done(m.ID)
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.sem }()
		defer d.done(m.ID)
		// Finish an attempt under way even when shutting down: its result
		// must reach the log and the acknowledgement.
		d.handle(context.WithoutCancel(ctx), m, attempt)
	}()
}

func (d *Dispatcher) done(id string) {
	d.mu.Lock()
	delete(d.inflight, id)
	d.mu.Unlock()
}

func field(m redis.XMessage, k string) string { v, _ := m.Values[k].(string); return v }

func (d *Dispatcher) handle(ctx context.Context, m redis.XMessage, attempt int64) {
	switch field(m, "kind") {
	case "event":
		d.expand(ctx, m)
	case "delivery":
		d.deliver(ctx, m, attempt)
	default:
		d.finish(ctx, m.ID)
	}
}

// finishScript acknowledges and deletes an entry: one command, which the
// batching client sends together with other deliveries' and requests'.
var finishScript = redis.NewScript(`
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`)

// finish acknowledges and deletes a handled entry.
func (d *Dispatcher) finish(ctx context.Context, id string) {
	_ = finishScript.Run(ctx, d.Hot, []string{QueueKey}, Group, id).Err()
}

// expand queues one delivery per subscribed endpoint, then acknowledges
// the event. If it fails half way the event is expanded again later:
// endpoints may see a delivery twice, never none.
func (d *Dispatcher) expand(ctx context.Context, m redis.XMessage) {
	tid, ev := field(m, "tenant"), field(m, "event")
	hooks, err := d.Hooks.all(ctx, tid)
	if err != nil {
		return // stays pending; retried
	}
	_, err = d.RDB.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, h := range hooks {
			if !contains(h.Events, ev) {
				continue
			}
			vals := []any{"kind", "delivery", "hook", h.ID}
			for _, k := range []string{"id", "event", "tenant", "user", "ip", "ua", "method", "at"} {
				vals = append(vals, k, field(m, k))
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: QueueKey, Values: vals, MaxLen: queueCap, Approx: true})
		}
		return nil
	})
	if err == nil {
		d.finish(ctx, m.ID)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// deliver makes one attempt and records it.
func (d *Dispatcher) deliver(ctx context.Context, m redis.XMessage, attempt int64) {
	tid, hid, ev := field(m, "tenant"), field(m, "hook"), field(m, "event")
	h, err := d.Hooks.get(ctx, tid, hid)
	if errors.Is(err, ErrNotFound) {
		d.finish(ctx, m.ID) // the endpoint was deleted
		return
	}
	if err != nil {
		return
	}
	secret, err := d.Hooks.secret(tid, h)
	if err != nil {
		d.Log.Error("webhook: cannot open endpoint secret (FOYER_SECRET_KEY changed?)", "tenant", tid, "hook", hid)
		d.record(ctx, tid, hid, Delivery{EventID: field(m, "id"), Event: ev, Attempt: attempt, Result: "gave_up", Error: "secret cannot be opened"})
		d.finish(ctx, m.ID)
		return
	}
	at, _ := strconv.ParseInt(field(m, "at"), 10, 64)
	p := Payload{ID: field(m, "id"), Event: ev, CreatedAt: time.UnixMilli(at).UTC(), Timestamp: d.Now().Unix(),
		TenantID: tid, HookID: hid, UserID: field(m, "user"), UserIP: field(m, "ip"), UserAgent: field(m, "ua"),
		Method: field(m, "method"), Attempt: attempt}
	start := time.Now()
	status, err := d.post(ctx, h.URL, secret, p)
	rec := Delivery{EventID: p.ID, Event: ev, Attempt: attempt, Status: status, DurationMS: time.Since(start).Milliseconds(), Result: "success"}
	switch {
	case err == nil:
		d.finish(ctx, m.ID)
	case attempt >= d.MaxAttempts:
		rec.Result, rec.Error = "gave_up", err.Error()
		d.finish(ctx, m.ID)
	default:
		rec.Result, rec.Error = "failure", err.Error()
		// Left pending: retry claims it after the back-off.
	}
	d.record(ctx, tid, hid, rec)
	if d.Observe != nil {
		d.Observe(ev, rec.Result)
	}
}

// post sends one signed request; a non-2xx answer is an error.
func (d *Dispatcher) post(ctx context.Context, rawURL string, secret []byte, p Payload) (int, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid endpoint url")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Foyer-Webhook/1")
	req.Header.Set(HeaderEvent, p.Event)
	req.Header.Set(HeaderDelivery, p.ID)
	req.Header.Set(connector.HeaderTimestamp, strconv.FormatInt(p.Timestamp, 10))
	req.Header.Set(connector.HeaderSignature, connector.Sign(secret, body))
	resp, err := d.Client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, whose query may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("endpoint answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// NewClient returns the HTTP client of deliveries over transport: no
// redirects (the endpoint is configured, not discovered).
func NewClient(transport http.RoundTripper) *http.Client {
	return &http.Client{Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
