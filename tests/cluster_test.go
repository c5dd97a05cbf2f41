package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// TestRedisCluster runs sign-up, sign-in and a passkey second factor with
// Foyer on a three-node Redis Cluster (FOYER_REDIS_URL lists the seeds):
// every key a command or Lua script touches together shares a hash tag.
func TestRedisCluster(t *testing.T) {
	nodes := redistest.StartCluster(t, 3)
	addrs := make([]string, len(nodes))
	for i, n := range nodes {
		addrs[i] = n.Addr
	}
	f := startFoyerOn(t, nodes[0], map[string]string{"FOYER_REDIS_URL": strings.Join(addrs, ",")})

	signUp(t, f.Demo(), "clara", "clara@example.com", strongPassword)
	c := f.Demo()
	require.Equal(t, http.StatusNoContent, signIn(t, c, "email", "clara@example.com", strongPassword).Status)
	submitOK(t, c)

	acme := passkeyTenant(t, f, "acme", nil)
	a := authenticator.New()
	start(t, acme, "Register")
	require.Equal(t, http.StatusNoContent, acme.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "dora", "password": strongPassword}).Status)
	bindPasskey(t, acme, a)
	submitOK(t, acme)
	signOut(t, acme)
	require.Equal(t, http.StatusNoContent, signIn(t, acme, "username", "dora", strongPassword).Status)
	assertion, err := a.Login(authenticationOptions(t, acme), acme.Origin)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, acme.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn")).Status)
	submitOK(t, acme)

	// Several hosts in other slots are claimed and released.
	r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"),
		map[string]any{"hosts": []string{"acme." + baseDomain, "login.acme.test", "sso.acme.test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"),
		map[string]any{"hosts": []string{"acme." + baseDomain}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}
