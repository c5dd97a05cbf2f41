package webhook

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/spool"
)

// Redis names of the delivery queue. The hash tag keeps the stream on one
// cluster slot whatever its name.
const (
	QueueKey = "foyer:webhooks:{q}"
	Group    = "foyer"
)

// queueCap bounds the queue stream; entries are deleted once handled, so
// only a long outage of every endpoint comes near it.
const queueCap = 1_000_000

// Queue turns successful interactions into queued events (an
// interaction.Recorder). It never waits on Redis.
type Queue struct {
	Spool *spool.Spool
}

var _ interaction.Recorder = (*Queue)(nil)

// EventOf maps an activity to its hook event ("" when none).
func EventOf(a interaction.Activity) string {
	if a.Result != interaction.ResultSuccess {
		return ""
	}
	switch a.Action {
	case interaction.ActionRegister:
		return EventPostRegister
	case interaction.ActionSignIn:
		return EventPostSignIn
	case interaction.ActionResetPassword:
		return EventPostResetPassword
	case interaction.ActionMFAChange:
		return EventMFAChanged
	}
	return ""
}

// Record queues the event of a, if it has one.
func (q *Queue) Record(_ context.Context, a interaction.Activity) {
	ev := EventOf(a)
	if ev == "" {
		return
	}
	// A tenant with no endpoint (most) queues nothing: the spool checks
	// that its endpoint hash exists when it writes the batch, after the
	// event, so every endpoint that existed when it happened still gets it.
	q.Spool.Add(spool.Entry{Stream: QueueKey, MaxLen: queueCap, IfExists: hooksKey(a.TenantID), Values: []string{
		"kind", "event", "id", uuid.NewString(), "event", ev, "tenant", a.TenantID, "user", a.UserID,
		"ip", a.IP, "ua", a.UserAgent, "method", a.Method, "at", strconv.FormatInt(a.At.UnixMilli(), 10),
	}})
}
