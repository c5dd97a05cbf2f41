package tests

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
)

// TestAcknowledgedUsersSurviveACrash kills redis-server with SIGKILL after
// sign-ups were acknowledged; with the README's production settings
// (appendonly yes, appendfsync always) every acknowledged user is there
// again after the restart, and Foyer recovers without a restart of its own.
func TestAcknowledgedUsersSurviveACrash(t *testing.T) {
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	f := startFoyerOn(t, rs, nil)
	const n = 10
	for i := range n {
		signUp(t, f.Demo(), "durable"+strconv.Itoa(i), "", strongPassword)
	}
	rs.Kill()
	require.NoError(t, rs.Restart())
	c := f.Demo()
	require.Eventually(t, func() bool {
		r, err := c.TryDo(http.MethodGet, "/readyz", nil)
		return err == nil && r.Status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond)
	for i := range n {
		r := signIn(t, c, "username", "durable"+strconv.Itoa(i), strongPassword)
		require.Equal(t, http.StatusNoContent, r.Status, "user %d after the crash: %s", i, r.Body)
		submitOK(t, c)
		signOut(t, c)
	}
}
