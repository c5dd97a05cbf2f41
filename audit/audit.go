package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/spool"
	"github.com/foyer-auth/foyer/tenant"
)

// ErrUnavailable wraps Redis failures of reading the trail.
var ErrUnavailable = errors.New("audit: storage unavailable")

// ErrCursor: an after cursor that is no entry id.
var ErrCursor = errors.New("audit: malformed cursor")

// Actors of an entry.
const (
	ActorUser  = "user"
	ActorAdmin = "admin"
)

// Entry is one line of the trail.
type Entry struct {
	// ID is the stream entry id: the paging cursor.
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Result    string    `json:"result"`
	UserID    string    `json:"userId,omitempty"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	Method    string    `json:"method,omitempty"`
	Code      string    `json:"code,omitempty"`
}

// Log writes and reads audit trails.
type Log struct {
	rdb   redis.UniversalClient
	spool *spool.Spool
}

// New returns a Log writing through sp.
func New(rdb redis.UniversalClient, sp *spool.Spool) *Log { return &Log{rdb: rdb, spool: sp} }

func key(tid string) string { return "foyer:t:{" + tid + "}:audit" }

// Record appends an interaction outcome (an interaction.Recorder). The
// retention is the request's tenant's (tenant.FromContext), else the default.
func (l *Log) Record(ctx context.Context, a interaction.Activity) {
	ret := tenant.DefaultAudit
	if t := tenant.FromContext(ctx); t != nil && t.ID == a.TenantID {
		ret = t.Settings.Audit
	}
	l.Append(a.TenantID, ret, Entry{Time: a.At, Actor: ActorUser, Action: a.Action, Result: a.Result,
		UserID: a.UserID, IP: a.IP, UserAgent: a.UserAgent, Method: a.Method, Code: a.Code})
}

var _ interaction.Recorder = (*Log)(nil)

// Append queues e on tenant tid's trail.
func (l *Log) Append(tid string, ret tenant.Audit, e Entry) {
	if ret.MaxEntries <= 0 {
		ret = tenant.DefaultAudit
	}
	l.spool.Add(spool.Entry{
		Stream: key(tid),
		Values: []string{"t", strconv.FormatInt(e.Time.UnixMilli(), 10), "actor", e.Actor, "action", e.Action,
			"result", e.Result, "user", e.UserID, "ip", e.IP, "ua", e.UserAgent, "method", e.Method, "code", e.Code},
		MaxLen: ret.MaxEntries,
		MinAge: time.Duration(ret.RetentionDays) * 24 * time.Hour,
	})
}

// Page is one page of a trail, newest first. Next, when set, is the
// after cursor of the following (older) page.
type Page struct {
	Entries []Entry `json:"entries"`
	Next    string  `json:"next,omitempty"`
}

// List returns up to limit entries older than the entry after ("" for the
// newest).
func (l *Log) List(ctx context.Context, tid, after string, limit int) (Page, error) {
	start := "+"
	if after != "" {
		if !validID(after) {
			return Page{}, ErrCursor
		}
		start = "(" + after
	}
	msgs, err := l.rdb.XRevRangeN(ctx, key(tid), start, "-", int64(limit)+1).Result()
	if err != nil {
		return Page{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	p := Page{Entries: make([]Entry, 0, min(len(msgs), limit))}
	for i, m := range msgs {
		if i == limit {
			p.Next = p.Entries[limit-1].ID
			break
		}
		p.Entries = append(p.Entries, decode(m))
	}
	return p, nil
}

func decode(m redis.XMessage) Entry {
	s := func(k string) string { v, _ := m.Values[k].(string); return v }
	ms, _ := strconv.ParseInt(s("t"), 10, 64)
	return Entry{ID: m.ID, Time: time.UnixMilli(ms).UTC(), Actor: s("actor"), Action: s("action"), Result: s("result"),
		UserID: s("user"), IP: s("ip"), UserAgent: s("ua"), Method: s("method"), Code: s("code")}
}

// validID reports whether s is a stream id: <ms>-<seq>.
func validID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return false
	}
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return err1 == nil && err2 == nil
}
