package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// slowSMS is an SMS webhook receiver that takes hold to answer.
func slowSMS(t *testing.T, hold time.Duration) (url string, arrived chan struct{}) {
	t.Helper()
	arrived = make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, arrived
}

// useSMSWebhook points the demo tenant's SMS connector at url.
func useSMSWebhook(t *testing.T, srv *server, key, url string) {
	t.Helper()
	var list struct {
		Tenants []struct{ ID, Slug string } `json:"tenants"`
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1:"+srv.port+"/api/admin/tenants", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := srv.client.Do(req)
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(res.Body).Decode(&list))
	_ = res.Body.Close()
	body, _ := json.Marshal(map[string]any{"settings": map[string]any{"connectors": map[string]any{"sms": map[string]any{
		"type": "webhook", "webhook": map[string]any{"url": url, "secret": strings.Repeat("s", 40)}}}}})
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPatch, "http://127.0.0.1:"+srv.port+"/api/admin/tenants/"+list.Tenants[0].ID, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err = srv.client.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

// TestSIGTERMDrainsInFlightRequests: a request under way when the server is
// told to stop (SIGTERM cancels run's context) is answered in full; new
// connections are refused; run returns cleanly.
func TestSIGTERMDrainsInFlightRequests(t *testing.T) {
	key := strings.Repeat("k", 40)
	srv := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": key, "FOYER_EGRESS_ALLOW": "127.0.0.0/8"})
	url, arrived := slowSMS(t, 700*time.Millisecond)
	useSMSWebhook(t, srv, key, url)
	c := srv.startInteraction(t)

	done := make(chan reply, 1)
	go func() {
		done <- srv.do(t, http.MethodPost, "/api/interaction/verification/verification-code", `{"phone":"+15551234567"}`, c)
	}()
	<-arrived // the request is in flight, waiting on the connector
	stopped := make(chan error, 1)
	begin := time.Now()
	go func() { err, _ := srv.stop(t); stopped <- err }()

	r := <-done
	require.Equal(t, http.StatusNoContent, r.status, "the in-flight request is answered: %s", r.body)
	require.NoError(t, <-stopped)
	require.Less(t, time.Since(begin), 5*time.Second)
	_, err := http.Get("http://127.0.0.1:" + srv.port + "/healthz")
	require.Error(t, err, "no new connections after shutdown")
}

// TestSIGTERMIsBounded: a request that outlives FOYER_SHUTDOWN_TIMEOUT
// does not hold the process: run returns soon after the timeout.
func TestSIGTERMIsBounded(t *testing.T) {
	key := strings.Repeat("k", 40)
	srv := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": key, "FOYER_EGRESS_ALLOW": "127.0.0.0/8", "FOYER_SHUTDOWN_TIMEOUT": "500ms"})
	url, arrived := slowSMS(t, 3*time.Second)
	useSMSWebhook(t, srv, key, url)
	c := srv.startInteraction(t)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+srv.port+"/api/interaction/verification/verification-code", strings.NewReader(`{"phone":"+15551234567"}`))
		req.Host = "localhost:" + srv.port
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(c)
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
		}
	}()
	<-arrived
	begin := time.Now()
	err, ok := srv.stop(t)
	require.True(t, ok)
	took := time.Since(begin)
	require.Less(t, took, 3*time.Second, "shutdown took %v", took)
	require.ErrorContains(t, err, "shutdown", "a shutdown cut short says so")
}
