package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// behindProxy starts Foyer with the suite as its trusted proxy: the
// X-Forwarded-For a Client sends (Client.ForwardedFor) is believed.
func behindProxy(t *testing.T) *Foyer {
	t.Helper()
	return startFoyer(t, map[string]string{"FOYER_TRUSTED_PROXIES": "127.0.0.1"})
}

// from is a browser on the demo tenant whose requests reach Foyer through
// the trusted proxy with X-Forwarded-For xff (the client's own address last).
func from(f *Foyer, xff string) *Client {
	c := f.Demo()
	c.ForwardedFor = xff
	return c
}

// requireRetryAfter checks that a 429 says when to come back, within max
// seconds.
func requireRetryAfter(t *testing.T, r *Response, max int) {
	t.Helper()
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
	require.True(t, retry > 0 && retry <= max, "Retry-After %d", retry)
}

// TestPasswordFloodThrottlesOnlyItsAddress: behind a proxy every client
// connects from the proxy's address. Fifty wrong passwords from one client
// (forging a new address left of its own each time) throttle that client;
// another client signs in with the right password.
func TestPasswordFloodThrottlesOnlyItsAddress(t *testing.T) {
	t.Parallel()
	f := behindProxy(t)
	signUp(t, from(f, "192.0.2.10"), "victim", "", strongPassword)

	attacker := from(f, "")
	start(t, attacker, "SignIn")
	for i := range 50 {
		attacker.ForwardedFor = fmt.Sprintf("203.0.113.%d, 198.51.100.66", i)
		r := identify(t, attacker, map[string]any{"username": "nobody" + strconv.Itoa(i), "password": "wrong password"})
		requireError(t, r, http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	attacker.ForwardedFor = "203.0.113.200, 198.51.100.66"
	r := identify(t, attacker, map[string]any{"username": "victim", "password": strongPassword})
	requireError(t, r, http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")
	requireRetryAfter(t, r, 15*60)

	v := from(f, "192.0.2.10")
	r = signIn(t, v, "username", "victim", strongPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "the right password from another client: %s", r.Body)
	submitOK(t, v)
}

// TestForwardedForFromAnUntrustedPeerIsIgnored: without
// FOYER_TRUSTED_PROXIES a client cannot choose its address: rotating
// X-Forwarded-For does not escape the per-address limit.
func TestForwardedForFromAnUntrustedPeerIsIgnored(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	start(t, c, "SignIn")
	for i := range 50 {
		c.ForwardedFor = fmt.Sprintf("198.51.100.%d", i)
		r := identify(t, c, map[string]any{"username": "nobody" + strconv.Itoa(i), "password": "wrong password"})
		requireError(t, r, http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	c.ForwardedFor = "192.0.2.99"
	r := identify(t, c, map[string]any{"username": "someone", "password": "wrong password"})
	requireError(t, r, http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")
}

// TestCodeSendsAreLimitedPerClientAddress: thirty code sends from one
// client stop that client, not everyone behind the proxy.
func TestCodeSendsAreLimitedPerClientAddress(t *testing.T) {
	t.Parallel()
	f := behindProxy(t)
	send := func(c *Client, email string) *Response {
		return c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": email})
	}
	a := from(f, "198.51.100.66")
	start(t, a, "SignIn")
	for i := range 30 {
		r := send(a, fmt.Sprintf("r%d@example.com", i))
		require.Equal(t, http.StatusNoContent, r.Status, "send %d: %s", i, r.Body)
	}
	r := send(a, "one-more@example.com")
	requireError(t, r, http.StatusTooManyRequests, "request.message_rate_limited")
	requireRetryAfter(t, r, 3600)

	b := from(f, "192.0.2.10")
	start(t, b, "SignIn")
	r = send(b, "someone@example.com")
	require.Equal(t, http.StatusNoContent, r.Status, "another client: %s", r.Body)
}

// TestLockoutCountsPerAccount: an account's username and email share
// their tries. After five wrong passwords for the username, the right
// password by email from the same address is refused too, and refused
// exactly as a wrong password for an email nobody has (a 429 would tell
// that the email belongs to the account). From another address the
// account is open.
func TestLockoutCountsPerAccount(t *testing.T) {
	t.Parallel()
	f := behindProxy(t)
	signUp(t, from(f, "192.0.2.1"), "frank", "frank@example.com", strongPassword)

	a := from(f, "198.51.100.66")
	start(t, a, "SignIn")
	for i := range 5 {
		r := identify(t, a, map[string]any{"username": "frank", "password": "wrong " + strconv.Itoa(i)})
		requireError(t, r, http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	r := identify(t, a, map[string]any{"username": "frank", "password": "wrong 6"})
	requireError(t, r, http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")

	// Known and unknown emails, side by side, answer alike at every step:
	// a refusal first, then 429 once each email has had its five tries.
	for i := range 6 {
		pw := "wrong " + strconv.Itoa(i)
		if i == 0 {
			pw = strongPassword
		}
		known := identify(t, a, map[string]any{"email": "frank@example.com", "password": pw})
		unknown := identify(t, a, map[string]any{"email": "nobody@example.com", "password": pw})
		require.Equal(t, unknown.Status, known.Status, "try %d: known %s, unknown %s", i, known.Body, unknown.Body)
		require.Equal(t, unknown.Error(t), known.Error(t), "try %d", i)
		if i < 5 {
			requireError(t, known, http.StatusUnprocessableEntity, "session.invalid_credentials")
			continue
		}
		requireError(t, known, http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")
		requireRetryAfter(t, known, 15*60)
		requireRetryAfter(t, unknown, 15*60)
	}

	b := from(f, "192.0.2.1")
	r = signIn(t, b, "email", "frank@example.com", strongPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "from another address: %s", r.Body)
	submitOK(t, b)
}

// TestGuessingFromManyAddressesLocksOneAccountQuietly: thirty wrong
// passwords for one account from six addresses lock that account's
// password sign-in (quietly, as for a name nobody has) and nothing else.
func TestGuessingFromManyAddressesLocksOneAccountQuietly(t *testing.T) {
	t.Parallel()
	f := behindProxy(t)
	signUp(t, from(f, "192.0.2.1"), "gina", "", strongPassword)
	signUp(t, from(f, "192.0.2.1"), "hank", "", strongPassword)

	for _, name := range []string{"gina", "ghost"} {
		for n := range 6 {
			c := from(f, fmt.Sprintf("198.51.100.%d", n))
			start(t, c, "SignIn")
			for i := range 5 {
				r := identify(t, c, map[string]any{"username": name, "password": "wrong " + strconv.Itoa(i)})
				requireError(t, r, http.StatusUnprocessableEntity, "session.invalid_credentials")
			}
		}
	}
	c := from(f, "192.0.2.77")
	known := signIn(t, c, "username", "gina", strongPassword)
	requireError(t, known, http.StatusUnprocessableEntity, "session.invalid_credentials")
	unknown := identify(t, c, map[string]any{"username": "ghost", "password": strongPassword})
	require.Equal(t, unknown.Status, known.Status)
	require.Equal(t, unknown.Error(t), known.Error(t))

	r := identify(t, c, map[string]any{"username": "hank", "password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "another account: %s", r.Body)
	submitOK(t, c)
}

// TestInteractionCreationIsLimitedPerAddress: one address creates at most
// 60 interactions a minute (an IPv6 address counted by its /64); restarting
// a live interaction creates none, and other addresses are not affected.
// 60 is the default outside dev mode; dev mode lifts it unless configured.
func TestInteractionCreationIsLimitedPerAddress(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, map[string]string{"FOYER_TRUSTED_PROXIES": "127.0.0.1", "FOYER_NEW_INTERACTIONS_PER_MINUTE": "60"})
	put := func(c *Client) *Response {
		return c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"})
	}
	var first *Client
	for i := range 60 {
		c := from(f, fmt.Sprintf("203.0.113.%d, 198.51.100.66", i))
		require.Equal(t, http.StatusNoContent, put(c).Status, "start %d", i)
		first = c
	}
	r := put(from(f, "198.51.100.66"))
	requireError(t, r, http.StatusTooManyRequests, "guard.too_many_requests")
	requireRetryAfter(t, r, 60)
	require.Len(t, f.scanKeys(t, "foyer:ix:*"), 60)

	r = put(first) // its cookie names a live interaction
	require.Equal(t, http.StatusNoContent, r.Status, "restart: %s", r.Body)
	require.Equal(t, http.StatusNoContent, put(from(f, "192.0.2.10")).Status)

	for i := range 60 {
		require.Equal(t, http.StatusNoContent, put(from(f, fmt.Sprintf("2001:db8:1:2::%x", i+1))).Status)
	}
	requireError(t, put(from(f, "2001:db8:1:2:ffff::1")), http.StatusTooManyRequests, "guard.too_many_requests")
	require.Equal(t, http.StatusNoContent, put(from(f, "2001:db8:1:3::1")).Status)
}

// TestInteractionHoldsBoundedProofs: proving the same thing again does not
// grow the stored interaction.
func TestInteractionHoldsBoundedProofs(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "ivy", "", strongPassword)
	c := f.Demo()
	start(t, c, "SignIn")
	for range 20 {
		r := identify(t, c, map[string]any{"username": "ivy", "password": strongPassword})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	}
	// Each identification moved the interaction to a new id.
	vals, err := f.Redis.HGetAll(t.Context(), ixKey(c.Cookie(ixCookie))).Result()
	require.NoError(t, err)
	var doc struct {
		Verified []map[string]any `json:"verified"`
	}
	require.NoError(t, json.Unmarshal([]byte(vals["doc"]), &doc))
	require.Len(t, doc.Verified, 1, "doc %s", vals["doc"])
}

// TestInteractionHoldsAtMostFivePendingPasskeys: binding passkey after
// passkey in one sign-up stops at five; what was bound stays.
func TestInteractionHoldsAtMostFivePendingPasskeys(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", nil)
	id := start(t, c, "Register")
	r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "jade", "password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	for range 5 {
		bindPasskey(t, c, authenticator.New())
	}
	v, _ := f.storedIx(t, id)
	_, resp, err := authenticator.New().Register(registrationOptions(t, c), c.Origin)
	require.NoError(t, err)
	r = c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", withType(t, resp, "WebAuthn"))
	requireError(t, r, http.StatusConflict, "session.interaction_too_large")
	after, _ := f.storedIx(t, id)
	require.Equal(t, v+1, after, "only the registration ceremony was stored")

	submitOK(t, c)
}

// TestReadinessNeedsWrites: a Redis that answers PING but refuses writes
// serves nothing, and /readyz says so; it is ready again once writes work.
func TestReadinessNeedsWrites(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	ctx := t.Context()
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodGet, "/readyz", nil).Status)
	tests := []struct {
		name        string
		refuse, fix []any
	}{
		{"out of memory", []any{"config", "set", "maxmemory", "1"}, []any{"config", "set", "maxmemory", "0"}},
		{"too few replicas", []any{"config", "set", "min-replicas-to-write", "1"}, []any{"config", "set", "min-replicas-to-write", "0"}},
		{"read-only replica", []any{"replicaof", "127.0.0.1", strconv.Itoa(freePort(t))}, []any{"replicaof", "no", "one"}},
	}
	for _, tt := range tests {
		require.NoError(t, f.Redis.Do(ctx, tt.refuse...).Err(), tt.name)
		require.NoError(t, f.Redis.Ping(ctx).Err(), "%s: Redis still answers PING", tt.name)
		requireError(t, c.Do(t, http.MethodGet, "/readyz", nil), http.StatusServiceUnavailable, "storage.unavailable")
		requireError(t, f.Demo().Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"}),
			http.StatusServiceUnavailable, "storage.unavailable")
		require.NoError(t, f.Redis.Do(ctx, tt.fix...).Err(), tt.name)
		require.Equal(t, http.StatusOK, c.Do(t, http.MethodGet, "/readyz", nil).Status, tt.name)
		start(t, f.Demo(), "SignIn")
	}
}
