package tests

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// loginKey is the Redis key of a login session.
func loginKey(id string) string { return "foyer:sess:{" + id + "}" }

// requireSession asserts whether the login session id is live: in Redis,
// and to a browser that presents it.
func requireSession(t *testing.T, f *Foyer, c *Client, id string, live bool) {
	t.Helper()
	n, err := f.Redis.Exists(t.Context(), loginKey(id)).Result()
	require.NoError(t, err)
	b := f.Client(c.Host)
	b.SetCookie(sessCookie, id)
	r := b.Do(t, http.MethodGet, "/api/session", nil)
	if live {
		require.EqualValues(t, 1, n, "session %s is gone", id)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		return
	}
	require.Zero(t, n, "session %s is still in Redis", id)
	requireError(t, r, http.StatusUnauthorized, "session.unauthorized")
}

// TestSignInAgainEndsPreviousSession: a submit that signs in ends the login
// session the browser presented (of whichever user), and leaves other
// browsers' sessions and another tenant's session alone.
func TestSignInAgainEndsPreviousSession(t *testing.T) {
	f := startFoyer(t, nil)
	c := f.Demo()
	first := signUp(t, c, "sam", "", strongPassword)

	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "sam", strongPassword).Status)
	second := submitOK(t, c)
	requireSession(t, f, c, first, false)
	requireSession(t, f, c, second, true)

	// Another browser of the same user keeps its session.
	other := f.Demo()
	require.Equal(t, http.StatusNoContent, signIn(t, other, "username", "sam", strongPassword).Status)
	elsewhere := submitOK(t, other)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "sam", strongPassword).Status)
	third := submitOK(t, c)
	requireSession(t, f, c, second, false)
	requireSession(t, f, c, elsewhere, true)

	// Signing up someone else in the same browser ends it too.
	fourth := signUp(t, c, "tim", "", strongPassword)
	requireSession(t, f, c, third, false)
	requireSession(t, f, c, fourth, true)
	require.ElementsMatch(t, []string{loginKey(elsewhere), loginKey(fourth)}, f.scanKeys(t, "foyer:sess:*"))

	// A session id of another tenant, presented here, is not this tenant's
	// to end.
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "acme"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	acme := tenantBrowser(f, "acme")
	theirs := signUp(t, acme, "sam", "", strongPassword)
	c.SetCookie(sessCookie, theirs)
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "sam", strongPassword).Status)
	submitOK(t, c)
	requireSession(t, f, acme, theirs, true)
}
