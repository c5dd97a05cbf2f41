package connector_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector"
)

func TestLogPrintsTheCode(t *testing.T) {
	var buf bytes.Buffer
	l := &connector.Log{Logger: slog.New(slog.NewTextHandler(&buf, nil))}

	require.NoError(t, l.Send(t.Context(), signIn("alice@example.com")))

	out := buf.String()
	require.Contains(t, out, "code="+testCode)
	require.Contains(t, out, "to=alice@example.com")
	require.Contains(t, out, "level=WARN")
	require.Contains(t, out, "DEV MODE ONLY")
}

func TestLogWithoutLoggerFails(t *testing.T) {
	require.ErrorIs(t, (&connector.Log{}).Send(t.Context(), signIn("a@example.com")), connector.ErrDelivery)
}
