package connector_test

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func newWebhook(t *testing.T, url string, opts ...connector.WebhookOption) *connector.Webhook {
	t.Helper()
	w, err := connector.NewWebhook(connector.WebhookConfig{URL: url, Secret: testSecret, Timeout: 2 * time.Second}, opts...)
	require.NoError(t, err)
	return w
}

func TestWebhookPostsSignedBody(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	type payload struct {
		To, Code, Purpose, Tenant, Message, Locale string
		Timestamp                                  int64
	}
	got := make(chan payload, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		// What a receiver does: recompute the HMAC over the exact bytes.
		want := connector.Sign([]byte(testSecret), body)
		if !hmac.Equal([]byte(r.Header.Get(connector.HeaderSignature)), []byte(want)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p payload
		if err := json.Unmarshal(body, &p); err != nil || strconv.FormatInt(p.Timestamp, 10) != r.Header.Get(connector.HeaderTimestamp) {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		got <- p
	}))
	t.Cleanup(srv.Close)
	w := newWebhook(t, srv.URL, connector.WithClock(func() time.Time { return now }))

	require.NoError(t, w.Send(t.Context(), connector.Message{
		To: "+41790000000", Code: testCode, Locale: "de-CH", TenantName: "Acme", Purpose: connector.PurposeRegister,
	}))

	p := <-got
	require.Equal(t, payload{
		To: "+41790000000", Code: testCode, Purpose: "Register", Tenant: "Acme",
		Message:   testCode + " is your Acme code to create your account. Don't share it.",
		Locale:    "de-CH",
		Timestamp: now.Unix(),
	}, p)
}

func TestWebhookSignatureFormat(t *testing.T) {
	// HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"), a
	// published test vector.
	got := connector.Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	require.Equal(t, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", got)
}

func TestWebhookServerErrorIsDeliveryError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(body) // echoes the code; it must not reach the error
	}))
	t.Cleanup(srv.Close)

	err := newWebhook(t, srv.URL).Send(t.Context(), signIn("+41790000000"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Contains(t, err.Error(), "500")
	require.NotContains(t, err.Error(), testCode)
}

func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect) // 307 would resend the body
	}))
	t.Cleanup(srv.Close)

	err := newWebhook(t, srv.URL).Send(t.Context(), signIn("+41790000000"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Contains(t, err.Error(), "307")
	require.Zero(t, hits.Load(), "redirect target was called")
}

func TestWebhookTimeoutHonoured(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hang until Foyer gives up. The body must be read first: only then
		// does net/http watch the connection and cancel r.Context().
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	w, err := connector.NewWebhook(connector.WebhookConfig{URL: srv.URL, Secret: testSecret, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)

	start := time.Now()
	err = w.Send(t.Context(), signIn("+41790000000"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestWebhookTransportErrorHidesURLQuery(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	err = newWebhook(t, "http://"+addr+"/sms?token=operator-secret").Send(t.Context(), signIn("+41790000000"))
	require.ErrorIs(t, err, connector.ErrDelivery)
	require.NotContains(t, err.Error(), "operator-secret")
	require.NotContains(t, err.Error(), testCode)
}

func TestWebhookConfigValidate(t *testing.T) {
	tests := []struct {
		name, url, secret string
		ok                bool
	}{
		{"https", "https://sms.example.com/hook", testSecret, true},
		{"http localhost", "http://localhost:8080/hook", testSecret, true},
		{"http 127.0.0.1", "http://127.0.0.1:8080/hook", testSecret, true},
		{"http ::1", "http://[::1]:8080/hook", testSecret, true},
		{"http elsewhere", "http://sms.example.com/hook", testSecret, false},
		{"http localhost lookalike", "http://localhost.example.com/hook", testSecret, false},
		{"other scheme", "ftp://sms.example.com/hook", testSecret, false},
		{"relative", "/hook", testSecret, false},
		{"credentials in url", "https://user:pw@sms.example.com/hook", testSecret, false},
		{"short secret", "https://sms.example.com/hook", testSecret[:31], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connector.NewWebhook(connector.WebhookConfig{URL: tt.url, Secret: tt.secret})
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, connector.ErrWebhookConfig)
			}
		})
	}
}
