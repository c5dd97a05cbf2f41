package flows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNewClientLoopbackOnly: a load run never leaves the machine.
func TestNewClientLoopbackOnly(t *testing.T) {
	for _, origin := range []string{"http://localhost:3001", "http://127.0.0.1:3001/"} {
		_, err := NewClient(origin, 1)
		require.NoError(t, err, origin)
	}
	for _, origin := range []string{"http://example.com:3001", "https://localhost:3001", "http://localhost",
		"http://10.0.0.1:3001", "http://localhost:3001/app", "http://[::1]:3001"} {
		_, err := NewClient(origin, 1)
		require.Error(t, err, origin)
	}
}
