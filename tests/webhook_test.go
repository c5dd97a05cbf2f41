package tests

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
	"github.com/foyer-auth/foyer/internal/redistest"
)

// receiver is a webhook endpoint on 127.0.0.1 that fails its first
// failures requests with 500, then accepts.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	failures int
	got      []received
}

type received struct {
	status int
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, failures int) *receiver {
	t.Helper()
	rc := &receiver{failures: failures}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusNoContent
		if len(rc.got) < rc.failures {
			status = http.StatusInternalServerError
		}
		rc.got = append(rc.got, received{status: status, header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

type hookBody struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

func createHook(t *testing.T, f *Foyer, tid, url string, events ...string) hookBody {
	t.Helper()
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants/"+tid+"/webhooks", map[string]any{"url": url, "events": events})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var h hookBody
	r.JSON(t, &h)
	require.NotEmpty(t, h.Secret)
	return h
}

type deliveryPage struct {
	Deliveries []struct {
		EventID string `json:"eventId"`
		Event   string `json:"event"`
		Attempt int    `json:"attempt"`
		Result  string `json:"result"`
		Status  int    `json:"status"`
		Error   string `json:"error"`
	} `json:"deliveries"`
	Next string `json:"next"`
}

func deliveries(t *testing.T, f *Foyer, tid, hid string) deliveryPage {
	t.Helper()
	var p deliveryPage
	r := f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/webhooks/"+hid+"/deliveries?limit=50", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &p)
	return p
}

// TestWebhookDeliveredAfterRestart: the endpoint fails the first attempt
// of a PostRegister delivery; Foyer is stopped while the retry is pending
// and started again on the same Redis; the new process retries, the second
// attempt fails too, the third succeeds. Every attempt carries the same
// event id and a valid signature over a body with a fresh timestamp; the
// delivery log shows all three.
func TestWebhookDeliveredAfterRestart(t *testing.T) {
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	env := map[string]string{"FOYER_WEBHOOK_RETRY_BASE": "400ms", "FOYER_SECRET_KEY": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"FOYER_ADMIN_KEY": "admin-key-for-the-webhook-restart-test-0123"}
	f := startFoyerOn(t, rs, env)
	rc := newReceiver(t, 2)
	tid := createTenant(t, f, map[string]any{"slug": "hooked"}).ID
	hook := createHook(t, f, tid, rc.srv.URL+"/hooks?token=abc", "PostRegister", "PostSignIn")

	signUp(t, tenantBrowser(f, "hooked"), "hal", "", strongPassword)
	require.Eventually(t, func() bool { return len(rc.requests()) >= 1 }, 5*time.Second, 20*time.Millisecond)
	f.Stop(t) // mid-retries: the failed delivery is pending in Redis
	require.Len(t, rc.requests(), 1, "no attempt while Foyer is down")

	g := startFoyerOn(t, rs, env)
	require.Eventually(t, func() bool {
		got := rc.requests()
		return len(got) >= 3 && got[len(got)-1].status == http.StatusNoContent
	}, 15*time.Second, 20*time.Millisecond)

	got := rc.requests()
	require.Len(t, got, 3)
	var eventID string
	for i, r := range got {
		body := verify(t, hook.Secret, r)
		require.Equal(t, "PostRegister", body["event"])
		require.EqualValues(t, i+1, body["attempt"])
		require.Equal(t, tid, body["tenantId"])
		require.NotEmpty(t, body["userId"])
		if i == 0 {
			eventID = body["id"].(string)
		}
		require.Equal(t, eventID, body["id"], "one event id across retries, for receivers to deduplicate")
	}
	p := deliveries(t, g, tid, hook.ID)
	require.Len(t, p.Deliveries, 3)
	for i, want := range []string{"success", "failure", "failure"} { // newest first
		d := p.Deliveries[i]
		require.Equal(t, want, d.Result)
		require.Equal(t, 3-i, d.Attempt)
		require.Equal(t, eventID, d.EventID)
		require.NotContains(t, d.Error, "token=abc", "the URL's query stays out of the log")
	}
	require.Equal(t, 500, p.Deliveries[1].Status)

	// The restarted process delivers new events too.
	c := tenantBrowser(g, "hooked")
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "hal", strongPassword).Status)
	submitOK(t, c)
	require.Eventually(t, func() bool { return len(rc.requests()) == 4 }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, "PostSignIn", verify(t, hook.Secret, rc.requests()[3])["event"])
}

// verify checks a delivery's signature and returns its body.
func verify(t *testing.T, secret string, r received) map[string]any {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.body)
	require.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), r.header.Get("X-Foyer-Signature"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(r.body, &body))
	ts, err := strconv.ParseInt(r.header.Get("X-Foyer-Timestamp"), 10, 64)
	require.NoError(t, err)
	require.EqualValues(t, ts, body["timestamp"])
	require.InDelta(t, time.Now().Unix(), ts, 30)
	require.Equal(t, body["id"], r.header.Get("X-Foyer-Delivery"))
	require.Equal(t, body["event"], r.header.Get("X-Foyer-Event"))
	return body
}

// TestEgressRefusesLoopback: without FOYER_EGRESS_ALLOW, a webhook at
// 127.0.0.1 and one at localhost (a name resolving to it) are refused when
// dialled, as is an SMTP host at 127.0.0.1: nothing reaches the listeners,
// and the delivery log says why.
func TestEgressRefusesLoopback(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_EGRESS_ALLOW": "", "FOYER_WEBHOOK_RETRY_BASE": "10s"})
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "walled", mail, nil)
	tid := tenantID(t, f, "walled")
	rc := newReceiver(t, 0)
	_, port, err := net.SplitHostPort(rc.srv.Listener.Addr().String())
	require.NoError(t, err)
	byIP := createHook(t, f, tid, "http://127.0.0.1:"+port+"/hook", "PostRegister")
	byName := createHook(t, f, tid, "http://localhost:"+port+"/hook", "PostRegister")
	signUp(t, c, "wes", "", strongPassword)

	for _, h := range []hookBody{byIP, byName} {
		var p deliveryPage
		require.Eventually(t, func() bool { p = deliveries(t, f, tid, h.ID); return len(p.Deliveries) > 0 }, 5*time.Second, 20*time.Millisecond)
		d := p.Deliveries[0]
		require.Equal(t, "failure", d.Result, "%+v", d)
		require.Contains(t, d.Error, "loopback address; allow it with FOYER_EGRESS_ALLOW", "%s", h.URL)
		require.Zero(t, d.Status)
	}
	start(t, c, "SignIn")
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "wes@walled.test"})
	requireError(t, r, http.StatusBadGateway, "connector.delivery_failed")
	require.Empty(t, mail.Messages(), "the SMTP listener on loopback must not be reached")
	require.Empty(t, rc.requests(), "the webhook listener on loopback must not be reached")
	require.Contains(t, f.Log(), "FOYER_EGRESS_ALLOW", "the refusal is logged for the operator")

	// Listing and reading endpoints never shows a secret; deleting one stops its deliveries.
	hooks := "/api/admin/tenants/" + tid + "/webhooks"
	r = f.Admin().Do(t, http.MethodGet, hooks, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, string(r.Body), byIP.Secret)
	var list struct {
		Webhooks []hookBody `json:"webhooks"`
	}
	r.JSON(t, &list)
	require.Equal(t, []string{byIP.ID, byName.ID}, []string{list.Webhooks[0].ID, list.Webhooks[1].ID})
	r = f.Admin().Do(t, http.MethodGet, hooks+"/"+byIP.ID, nil)
	require.Equal(t, http.StatusOK, r.Status)
	require.NotContains(t, string(r.Body), "secret")
	require.Equal(t, http.StatusNoContent, f.Admin().Do(t, http.MethodDelete, hooks+"/"+byIP.ID, nil).Status)
	requireError(t, f.Admin().Do(t, http.MethodGet, hooks+"/"+byIP.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, f.Admin().Do(t, http.MethodGet, hooks+"/"+byIP.ID+"/deliveries", nil), http.StatusNotFound, "entity.not_found")
	requireError(t, f.Admin().Do(t, http.MethodPost, hooks, map[string]any{"url": "http://example.com/hook", "events": []string{"PostSignIn"}}),
		http.StatusBadRequest, "guard.invalid_input")
	requireError(t, f.Admin().Do(t, http.MethodPost, hooks, map[string]any{"url": "https://example.com/hook", "events": []string{"Nope"}}),
		http.StatusBadRequest, "guard.invalid_input")
}

// TestWebhookQueueLostInRedis: the queue stream and its consumer group
// vanish from Redis (a flushed or replaced Redis); the dispatcher makes the
// group again and delivers the events that follow.
func TestWebhookQueueLostInRedis(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_WEBHOOK_RETRY_BASE": "400ms", "FOYER_ADMIN_KEY": "admin-key-for-the-webhook-lost-queue-0123"})
	rc := newReceiver(t, 0)
	tid := createTenant(t, f, map[string]any{"slug": "requeued"}).ID
	hook := createHook(t, f, tid, rc.srv.URL+"/hooks", "PostRegister", "PostSignIn")

	signUp(t, tenantBrowser(f, "requeued"), "ida", "", strongPassword)
	require.Eventually(t, func() bool { return len(rc.requests()) == 1 }, 5*time.Second, 20*time.Millisecond)
	require.NoError(t, f.Redis.Del(t.Context(), "foyer:webhooks:{q}").Err())

	c := tenantBrowser(f, "requeued")
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "ida", strongPassword).Status)
	submitOK(t, c)
	require.Eventually(t, func() bool { return len(rc.requests()) == 2 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, "PostSignIn", verify(t, hook.Secret, rc.requests()[1])["event"])
}

// TestNoEventsQueuedWithoutEndpoints: a tenant with no webhook endpoint
// queues nothing; a tenant with one still gets its delivery. The stream's
// own count of entries ever added shows what was queued: the second
// tenant's event and its delivery, nothing of the first tenant's sign-up
// (made first, so the spool wrote or skipped it before the second's).
func TestNoEventsQueuedWithoutEndpoints(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": "admin-key-for-the-unsubscribed-tenant-01"})
	rc := newReceiver(t, 0)
	createTenant(t, f, map[string]any{"slug": "quiet"})
	loud := createTenant(t, f, map[string]any{"slug": "loud"}).ID
	createHook(t, f, loud, rc.srv.URL+"/hooks", "PostRegister")

	signUp(t, tenantBrowser(f, "quiet"), "una", "", strongPassword)
	signUp(t, tenantBrowser(f, "loud"), "una", "", strongPassword)
	require.Eventually(t, func() bool { return len(rc.requests()) == 1 }, 5*time.Second, 20*time.Millisecond)
	info, err := f.Redis.XInfoStream(t.Context(), "foyer:webhooks:{q}").Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, info.EntriesAdded, "the loud tenant's event and delivery, nothing for the quiet one")
}
