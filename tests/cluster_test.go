package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

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

	// An OpenID Connect flow: keys made on first use, the code exchanged
	// once, the refresh token rotated and its reuse caught, a key rotation.
	app := spaApp(t, f, tenantID(t, f, "acme"))
	rp := newRP(t, f, f.hostOf("acme"), app, acme)
	fl := newFlow(t)
	toks := rp.exchange(t, rp.codeAt(t, location(t, rp.authorize(t, fl)), fl), fl)
	require.Equal(t, []string{"pwd", "hwk", "mfa"}, amrOf(t, toks))
	_, err = rp.cfg.Exchange(rp.ctx, "x", oauth2.VerifierOption(fl.verifier))
	require.ErrorContains(t, err, "invalid_grant")
	tok2, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: toks.tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.NoError(t, err)
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: toks.tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
	require.ErrorContains(t, err, "invalid_grant")
	require.Equal(t, http.StatusUnauthorized, userinfo(t, f, f.hostOf("acme"), tok2.AccessToken).Status, "the family is revoked")
	require.Equal(t, http.StatusOK, f.Admin().Do(t, http.MethodPost,
		"/api/admin/tenants/"+tenantID(t, f, "acme")+"/signing-keys/rotate", nil).Status)

	// Several hosts in other slots are claimed and released.
	r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"),
		map[string]any{"hosts": []string{"acme." + baseDomain, "login.acme.test", "sso.acme.test"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+tenantID(t, f, "acme"),
		map[string]any{"hosts": []string{"acme." + baseDomain}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}
