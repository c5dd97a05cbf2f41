package tests

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The interaction and session cookie names on a plain-http dev origin.
const (
	ixCookie   = "foyer_ix"
	sessCookie = "foyer_session"
)

// start begins an interaction and returns its id (the cookie value).
func start(t *testing.T, c *Client, event string) string {
	t.Helper()
	r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": event})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Empty(t, r.Body)
	name := "foyer_ix"
	if c.Proto == "https" {
		name = "__Host-foyer_ix"
	}
	id := c.Cookie(name)
	require.Len(t, id, 43, "interaction cookie %s: 256 bits, base64url", name)
	return id
}

// submitOK submits and expects to be signed in; it returns the new login
// session id.
func submitOK(t *testing.T, c *Client) string {
	t.Helper()
	ix := c.Cookie(ixCookie)
	r := c.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	require.Equal(t, http.StatusOK, r.Status, "submit: %s", r.Body)
	var out struct {
		RedirectTo string `json:"redirectTo"`
	}
	r.JSON(t, &out)
	require.NotEmpty(t, out.RedirectTo)
	sid := c.Cookie(sessCookie)
	require.NotEmpty(t, sid, "no login session cookie")
	require.NotEqual(t, ix, sid, "the login session must get a new id")
	require.Empty(t, c.Cookie(ixCookie), "the interaction cookie must be cleared")
	return sid
}

// signUp signs up a user with a password on c's tenant (username and
// email in the profile) and leaves c signed in.
func signUp(t *testing.T, c *Client, username, email, password string) string {
	t.Helper()
	start(t, c, "Register")
	profile := map[string]any{"username": username, "password": password}
	if email != "" {
		profile["email"] = email
	}
	r := c.Do(t, http.MethodPatch, "/api/interaction/profile", profile)
	require.Equal(t, http.StatusNoContent, r.Status, "PATCH profile: %s", r.Body)
	return submitOK(t, c)
}

// identify sends PATCH /api/interaction/identifiers.
func identify(t *testing.T, c *Client, body map[string]any) *Response {
	t.Helper()
	return c.Do(t, http.MethodPatch, "/api/interaction/identifiers", body)
}

// signIn starts a SignIn interaction and identifies with a password; it
// returns the identifiers answer.
func signIn(t *testing.T, c *Client, kind, value, password string) *Response {
	t.Helper()
	start(t, c, "SignIn")
	return identify(t, c, map[string]any{kind: value, "password": password})
}

// signOut ends c's login session.
func signOut(t *testing.T, c *Client) {
	t.Helper()
	r := c.Do(t, http.MethodDelete, "/api/session", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "DELETE /api/session: %s", r.Body)
	require.Empty(t, c.Cookie(sessCookie))
}

// requireNoSecretInRedis scans every key and fails if any value holds one
// of the secrets in clear.
func requireNoSecretInRedis(t *testing.T, f *Foyer, secrets ...string) {
	t.Helper()
	ctx := t.Context()
	keys := f.scanKeys(t, "*")
	require.NotEmpty(t, keys)
	for _, k := range keys {
		var values []string
		switch f.Redis.Type(ctx, k).Val() {
		case "string":
			values = []string{f.Redis.Get(ctx, k).Val()}
		case "hash":
			for field, v := range f.Redis.HGetAll(ctx, k).Val() {
				values = append(values, field, v)
			}
		case "set":
			values = f.Redis.SMembers(ctx, k).Val()
		case "zset":
			values = f.Redis.ZRange(ctx, k, 0, -1).Val()
		case "list":
			values = f.Redis.LRange(ctx, k, 0, -1).Val()
		}
		for _, v := range append(values, k) {
			for _, s := range secrets {
				require.NotContains(t, v, s, "secret found in Redis key %s", k)
			}
		}
	}
}

// tenantID finds a tenant's id by its slug through the admin API.
func tenantID(t *testing.T, f *Foyer, slug string) string {
	t.Helper()
	var list struct {
		Tenants []struct{ ID, Slug string } `json:"tenants"`
	}
	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants", nil).JSON(t, &list)
	for _, tn := range list.Tenants {
		if tn.Slug == slug {
			return tn.ID
		}
	}
	t.Fatalf("no tenant %q", slug)
	return ""
}

// patchSettings changes a tenant's settings through the admin API.
func patchSettings(t *testing.T, f *Foyer, slug string, settings map[string]any) {
	t.Helper()
	r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, slug), map[string]any{"settings": settings})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}
