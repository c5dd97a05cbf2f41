package tests

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ixDoc is the part of the stored interaction document the suite looks at.
type ixDoc struct {
	TenantID string `json:"tenantId"`
	Event    string `json:"event"`
}

// storedIx reads an interaction's hash from Redis: its version and document.
func (f *Foyer) storedIx(t *testing.T, id string) (int, ixDoc) {
	t.Helper()
	vals, err := f.Redis.HGetAll(t.Context(), ixKey(id)).Result()
	require.NoError(t, err)
	require.Contains(t, vals, "v", "interaction %s not in Redis", id)
	v, err := strconv.Atoi(vals["v"])
	require.NoError(t, err, "v = %q", vals["v"])
	var doc ixDoc
	require.NoError(t, json.Unmarshal([]byte(vals["doc"]), &doc), "doc = %s", vals["doc"])
	return v, doc
}

func state(t *testing.T, c *Client) string {
	t.Helper()
	r := c.Do(t, http.MethodGet, "/api/interaction", nil)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	var st struct {
		Event string `json:"event"`
	}
	r.JSON(t, &st)
	return st.Event
}

// TestInteractionCookieOnPlainHTTP: on the dev demo tenant over plain http
// the cookie is foyer_ix (browsers refuse __Host- without Secure), HttpOnly,
// SameSite=Lax, Path=/, host-only, not Secure, living as long as the
// interaction; Redis holds the interaction at version 1 with that TTL.
func TestInteractionCookieOnPlainHTTP(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()

	r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Len(t, r.SetCookies, 1)
	ck := r.Cookie("foyer_ix")
	require.NotNil(t, ck, "Set-Cookie %q", r.Header.Values("Set-Cookie"))
	require.Len(t, ck.Value, 43)
	require.True(t, ck.HttpOnly, "HttpOnly")
	require.False(t, ck.Secure, "Secure must be off over plain http in dev mode")
	require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	require.Equal(t, "/", ck.Path)
	require.Empty(t, ck.Domain, "host-only cookie")
	require.Equal(t, 3600, ck.MaxAge, "Max-Age = interaction TTL (1h)")

	v, doc := f.storedIx(t, ck.Value)
	require.Equal(t, 1, v)
	require.Equal(t, "SignIn", doc.Event)
	ttl, err := f.Redis.PTTL(t.Context(), ixKey(ck.Value)).Result()
	require.NoError(t, err)
	require.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 60, "key TTL")

	require.Equal(t, "SignIn", state(t, c))
	require.Equal(t, []string{ixKey(ck.Value)}, f.scanKeys(t, "foyer:ix:*"))
}

// TestInteractionCookieBehindHTTPSProxy: behind a trusted TLS-terminating
// proxy (X-Forwarded-Proto: https) the cookie is __Host-foyer_ix with
// Secure, and the plain-http name is neither set nor read.
func TestInteractionCookieBehindHTTPSProxy(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_TRUSTED_PROXIES": "127.0.0.1"})
	c := f.Demo()
	c.Proto = "https"
	c.Origin = "https://localhost:" + strconv.Itoa(f.Port)

	r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "Register"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Nil(t, r.Cookie("foyer_ix"))
	ck := r.Cookie("__Host-foyer_ix")
	require.NotNil(t, ck, "Set-Cookie %q", r.Header.Values("Set-Cookie"))
	require.True(t, ck.Secure, "Secure")
	require.True(t, ck.HttpOnly, "HttpOnly")
	require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
	require.Equal(t, "/", ck.Path, "__Host- needs Path=/")
	require.Empty(t, ck.Domain, "__Host- forbids Domain")
	require.Equal(t, "Register", state(t, c))

	// The same browser reaching the plain-http origin has no foyer_ix cookie:
	// the https cookie is not read there.
	plain := f.Demo()
	plain.SetCookie("__Host-foyer_ix", ck.Value)
	requireError(t, plain.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
}

// TestForwardedProtoFromAnUntrustedPeer: X-Forwarded-Proto from a client
// that is not a trusted proxy changes nothing: a plain-http dev origin keeps
// the plain cookie name, which the browser there can store.
func TestForwardedProtoFromAnUntrustedPeer(t *testing.T) {
	t.Parallel()
	for _, trusted := range []string{"", "10.0.0.0/8"} {
		f := startFoyer(t, map[string]string{"FOYER_TRUSTED_PROXIES": trusted})
		c := f.Demo()
		c.Proto = "https"
		r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "Register"})
		require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
		require.Nil(t, r.Cookie("__Host-foyer_ix"), "trusted %q: Set-Cookie %q", trusted, r.Header.Values("Set-Cookie"))
		ck := r.Cookie("foyer_ix")
		require.NotNil(t, ck, "Set-Cookie %q", r.Header.Values("Set-Cookie"))
		require.False(t, ck.Secure)
	}
}

// TestInteractionRestartKeepsCookie: a second PUT /api/interaction with the
// cookie restarts the same interaction: same cookie value, same Redis key,
// event reset to the new one.
func TestInteractionRestartKeepsCookie(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	id := start(t, c, "SignIn")

	r := c.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "Register"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Equal(t, "Register", state(t, c))

	r = c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	ck := r.Cookie("foyer_ix")
	require.NotNil(t, ck, "restart sets the cookie again (fresh Max-Age)")
	require.Equal(t, id, ck.Value, "restart keeps the interaction id")
	require.Equal(t, "SignIn", state(t, c), "restart resets the event")

	v, doc := f.storedIx(t, id)
	require.Equal(t, 3, v, "create, event change, restart")
	require.Equal(t, "SignIn", doc.Event)
	require.Equal(t, []string{ixKey(id)}, f.scanKeys(t, "foyer:ix:*"), "restart must not leave a second interaction")

	// A cookie naming no live interaction starts a new one.
	f.Redis.Del(t.Context(), ixKey(id))
	r = c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "ForgotPassword"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	fresh := c.Cookie("foyer_ix")
	require.NotEqual(t, id, fresh)
	require.Equal(t, []string{ixKey(fresh)}, f.scanKeys(t, "foyer:ix:*"))
}

// TestInteractionDelete: DELETE abandons the interaction: 204, the cookie is
// cleared with the same attributes, the Redis key is gone, and the
// interaction is not found afterwards, even with the old cookie value.
func TestInteractionDelete(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	id := start(t, c, "SignIn")

	r := c.Do(t, http.MethodDelete, "/api/interaction", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	ck := r.Cookie("foyer_ix")
	require.NotNil(t, ck, "DELETE must clear the cookie; Set-Cookie %q", r.Header.Values("Set-Cookie"))
	require.Empty(t, ck.Value)
	require.True(t, ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())),
		"cleared cookie must expire now: %q", r.Header.Get("Set-Cookie"))
	require.Equal(t, "/", ck.Path)
	require.True(t, ck.HttpOnly)
	require.Empty(t, c.Cookie("foyer_ix"))

	n, err := f.Redis.Exists(t.Context(), ixKey(id)).Result()
	require.NoError(t, err)
	require.Zero(t, n, "the interaction must be gone from Redis")
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"))

	requireError(t, c.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")

	// The old value, replayed, finds nothing and brings nothing back.
	c.SetCookie("foyer_ix", id)
	requireError(t, c.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
	requireError(t, c.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "Register"}),
		http.StatusBadRequest, "session.not_found")
	requireError(t, c.Do(t, http.MethodDelete, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "a late update must not resurrect the interaction")
}

// TestInteractionWithoutCookie: every call that needs an interaction answers
// 400 session.not_found without one, and garbage cookies never reach Redis
// as keys.
func TestInteractionWithoutCookie(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	requireError(t, c.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
	requireError(t, c.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "SignIn"}),
		http.StatusBadRequest, "session.not_found")
	requireError(t, c.Do(t, http.MethodDelete, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")

	for _, garbage := range []string{"x", "../../etc", "*", "}{", strings.Repeat("A", 42) + "!", strings.Repeat("A", 43)} {
		c.SetCookie("foyer_ix", garbage)
		requireError(t, c.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusBadRequest, "session.not_found")
	}
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"))
}
