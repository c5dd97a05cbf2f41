package tests

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHealthAndReadiness: /healthz answers while the process lives; /readyz
// follows Redis, answering 503 storage.unavailable (the error envelope)
// while Redis is down and ok again once it is back.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()

	r := c.Do(t, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "ok", string(r.Body))

	r = c.Do(t, http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "ok", string(r.Body))

	// Health does not depend on the tenant: any Host will do.
	r = f.Client("nobody.example").Do(t, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, r.Status)

	f.RedisSrv.Stop()
	r = c.Do(t, http.MethodGet, "/readyz", nil)
	requireError(t, r, http.StatusServiceUnavailable, "storage.unavailable")
	r = c.Do(t, http.MethodGet, "/healthz", nil)
	require.Equal(t, http.StatusOK, r.Status, "liveness must not follow Redis")

	require.NoError(t, f.RedisSrv.Restart())
	require.Eventually(t, func() bool {
		r, err := c.TryDo(http.MethodGet, "/readyz", nil)
		return err == nil && r.Status == http.StatusOK
	}, 10e9, 50e6, "/readyz did not recover after Redis came back")
}
