package connector

import (
	"context"
	"fmt"
	"log/slog"
)

// Log "delivers" codes by printing them on the server log, so a developer can
// sign in without a mail server or an SMS gateway. Anyone who can read the
// log can then use the codes: never configure it in production.
type Log struct {
	Logger *slog.Logger
}

// Send logs m, code included, at warning level so it stands out.
func (l *Log) Send(ctx context.Context, m Message) error {
	if l.Logger == nil {
		return fmt.Errorf("%w: log connector without a logger", ErrDelivery)
	}
	l.Logger.WarnContext(ctx, "DEV MODE ONLY: verification code printed to the log instead of being sent; never use the log connector in production",
		"to", m.To, "code", m.Code, "link", m.Link, "purpose", m.Purpose, "tenant", m.TenantName)
	return nil
}
