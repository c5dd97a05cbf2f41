package webhook

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Delivery is one attempt in an endpoint's delivery log.
type Delivery struct {
	ID         string    `json:"id"` // log entry id: the paging cursor
	Time       time.Time `json:"time"`
	EventID    string    `json:"eventId"`
	Event      string    `json:"event"`
	Attempt    int64     `json:"attempt"`
	Result     string    `json:"result"` // success, failure, gave_up
	Status     int       `json:"status,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"durationMs"`
}

// logCap bounds each endpoint's delivery log.
const logCap = 1000

func logKey(tid, hid string) string { return "foyer:t:{" + tid + "}:hook:" + hid + ":deliveries" }

func (d *Dispatcher) record(ctx context.Context, tid, hid string, r Delivery) {
	err := d.RDB.XAdd(ctx, &redis.XAddArgs{Stream: logKey(tid, hid), MaxLen: logCap, Approx: true, Values: []any{
		"t", d.Now().UnixMilli(), "eid", r.EventID, "event", r.Event, "attempt", r.Attempt, "result", r.Result,
		"status", r.Status, "error", r.Error, "ms", r.DurationMS,
	}}).Err()
	if err != nil {
		d.Log.Warn("webhook: delivery log not written", "tenant", tid, "hook", hid, "error", err)
	}
}

// DeliveryPage is one page of a delivery log, newest first.
type DeliveryPage struct {
	Deliveries []Delivery `json:"deliveries"`
	Next       string     `json:"next,omitempty"`
}

// ErrCursor: an after cursor that is no entry id.
var ErrCursor = fmt.Errorf("webhook: malformed cursor")

// Deliveries pages through an endpoint's delivery log.
func (s *Store) Deliveries(ctx context.Context, tid, hid, after string, limit int) (DeliveryPage, error) {
	if _, err := s.get(ctx, tid, hid); err != nil {
		return DeliveryPage{}, err
	}
	start := "+"
	if after != "" {
		ms, seq, ok := strings.Cut(after, "-")
		if _, err := strconv.ParseUint(ms, 10, 64); !ok || err != nil {
			return DeliveryPage{}, ErrCursor
		}
		if _, err := strconv.ParseUint(seq, 10, 64); err != nil {
			return DeliveryPage{}, ErrCursor
		}
		start = "(" + after
	}
	msgs, err := s.rdb.XRevRangeN(ctx, logKey(tid, hid), start, "-", int64(limit)+1).Result()
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	p := DeliveryPage{Deliveries: make([]Delivery, 0, min(len(msgs), limit))}
	for i, m := range msgs {
		if i == limit {
			p.Next = p.Deliveries[limit-1].ID
			break
		}
		num := func(k string) int64 { n, _ := strconv.ParseInt(field(m, k), 10, 64); return n }
		p.Deliveries = append(p.Deliveries, Delivery{ID: m.ID, Time: time.UnixMilli(num("t")).UTC(),
			EventID: field(m, "eid"), Event: field(m, "event"), Attempt: num("attempt"), Result: field(m, "result"),
			Status: int(num("status")), Error: field(m, "error"), DurationMS: num("ms")})
	}
	return p, nil
}
