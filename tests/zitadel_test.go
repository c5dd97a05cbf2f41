package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// zitadelStart is ZITADEL's StartWebAuthNRegistrationResponse.
type zitadelStart struct {
	Details struct {
		ID      string `json:"id"`
		Created string `json:"created"`
		Changed string `json:"changed"`
		Owner   struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"owner"`
	} `json:"details"`
	WebAuthNID string `json:"webAuthNId"`
	Options    struct {
		PublicKey json.RawMessage `json:"publicKey"`
	} `json:"publicKeyCredentialCreationOptions"`
}

type zitadelCode struct {
	ID   string `json:"id"`
	Code string `json:"code"`
}

func usersPath(uid string) string { return "/resources/v3alpha/users/" + uid + "/webauthn" }

// zitadelRegister starts (with the client's token or code) and verifies a
// registration with a, and returns the webAuthNId.
func zitadelRegister(t *testing.T, at *accountTenant, c *Client, uid string, start map[string]any, a *authenticator.Authenticator) string {
	t.Helper()
	r := c.Do(t, http.MethodPost, usersPath(uid), start)
	require.Equal(t, http.StatusOK, r.Status, "start: %s", r.Body)
	var s zitadelStart
	r.JSON(t, &s)
	require.Equal(t, uid, s.Details.ID)
	require.Equal(t, "OWNER_TYPE_INSTANCE", s.Details.Owner.Type)
	require.Equal(t, at.id, s.Details.Owner.ID)
	_, resp, err := a.Register(s.Options.PublicKey, at.origin())
	require.NoError(t, err)
	r = c.Do(t, http.MethodPost, usersPath(uid)+"/"+s.WebAuthNID+"/_verify",
		map[string]any{"publicKeyCredential": json.RawMessage(resp), "webAuthNName": "fido key"})
	require.Equal(t, http.StatusOK, r.Status, "verify: %s", r.Body)
	return s.WebAuthNID
}

// TestZitadelWebAuthnResources drives the ZITADEL-style user resources as
// seed 002 shows: start with a management token, verify, a registration
// code that starts (and verifies) a registration with no session at all,
// code reuse refused, removal; each passkey then signs the user in.
func TestZitadelWebAuthnResources(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := newAccountTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "grace", "grace@example.com", strongPassword)
	signUp(t, tenantBrowser(f, "acme"), "heidi", "heidi@example.com", strongPassword)
	grace := acme.userID(t, acme.passwordToken(t, "grace", strongPassword))
	heidi := acme.userID(t, acme.passwordToken(t, "heidi", strongPassword))
	admin := acme.api(acme.managementToken(t, "management"))

	// Start and verify with the management token.
	platform := authenticator.New(authenticator.WithAttachment("platform"))
	r := admin.Do(t, http.MethodPost, usersPath(grace)+"?instance.domain=acme.foyer.test",
		map[string]any{"domain": "acme." + baseDomain, "authenticatorType": "WEB_AUTH_N_AUTHENTICATOR_PLATFORM"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var s zitadelStart
	r.JSON(t, &s)
	var opts struct {
		RP                     struct{ ID string } `json:"rp"`
		AuthenticatorSelection struct {
			AuthenticatorAttachment string `json:"authenticatorAttachment"`
			ResidentKey             string `json:"residentKey"`
		} `json:"authenticatorSelection"`
	}
	require.NoError(t, json.Unmarshal(s.Options.PublicKey, &opts))
	require.Equal(t, "platform", opts.AuthenticatorSelection.AuthenticatorAttachment)
	require.Equal(t, "required", opts.AuthenticatorSelection.ResidentKey)
	require.Equal(t, "acme."+baseDomain, opts.RP.ID)
	_, resp, err := platform.Register(s.Options.PublicKey, acme.origin())
	require.NoError(t, err)
	verify := map[string]any{"publicKeyCredential": json.RawMessage(resp), "webAuthNName": "fido key"}
	r = admin.Do(t, http.MethodPost, usersPath(grace)+"/"+s.WebAuthNID+"/_verify", verify)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireError(t, admin.Do(t, http.MethodPost, usersPath(grace)+"/"+s.WebAuthNID+"/_verify", verify),
		http.StatusNotFound, "not_found")
	acme.passkeySignIn(t, platform, "grace")

	// A registration code: made with the management token, then used by
	// a client with no token, no cookie, no session of any kind.
	r = admin.Do(t, http.MethodPost, usersPath(grace)+"/registration_link", map[string]any{"returnCode": map[string]any{}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var link struct {
		Code zitadelCode `json:"code"`
	}
	r.JSON(t, &link)
	require.NotEmpty(t, link.Code.ID)
	require.NotEmpty(t, link.Code.Code)
	requireNoSecretInRedis(t, f, link.Code.Code)
	nobody := acme.api("")
	roaming := authenticator.New(authenticator.WithAttachment("cross-platform"))
	start := map[string]any{"domain": "acme." + baseDomain, "authenticatorType": "WEB_AUTH_N_AUTHENTICATOR_CROSS_PLATFORM",
		"code": map[string]any{"id": link.Code.ID, "code": link.Code.Code}}
	id := zitadelRegister(t, acme, nobody, grace, start, roaming)
	acme.passkeySignIn(t, roaming, "grace")

	// The code worked once.
	requireError(t, nobody.Do(t, http.MethodPost, usersPath(grace), start), http.StatusNotFound, "not_found")

	// Remove the roaming key: it no longer signs in.
	r = admin.Do(t, http.MethodDelete, usersPath(grace)+"/"+id, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireError(t, admin.Do(t, http.MethodDelete, usersPath(grace)+"/"+id, nil), http.StatusNotFound, "not_found")

	t.Run("refusals", func(t *testing.T) {
		body := map[string]any{"domain": "acme." + baseDomain}
		// No token and no code; a user's own token; a token without the scope.
		r := nobody.Do(t, http.MethodPost, usersPath(grace), body)
		requireError(t, r, http.StatusUnauthorized, "unauthenticated")
		require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer "))
		requireError(t, acme.api(acme.passwordToken(t, "heidi", strongPassword)).Do(t, http.MethodPost, usersPath(grace), body),
			http.StatusUnauthorized, "unauthenticated")
		requireError(t, acme.api(acme.managementToken(t, "reports")).Do(t, http.MethodPost, usersPath(grace), body),
			http.StatusForbidden, "permission_denied")
		// A domain that is none of the tenant's RP IDs.
		e := requireError(t, admin.Do(t, http.MethodPost, usersPath(grace), map[string]any{"domain": "evil.example"}),
			http.StatusBadRequest, "guard.invalid_input")
		require.Equal(t, "domain", e.Fields(t)[0].Field)
		// No such user.
		requireError(t, admin.Do(t, http.MethodPost, usersPath("00000000-0000-4000-8000-000000000000"), body),
			http.StatusNotFound, "not_found")
		// Heidi's code does not start a registration for Grace, nor does a wrong code.
		r = admin.Do(t, http.MethodPost, usersPath(heidi)+"/registration_link", map[string]any{"returnCode": map[string]any{}})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		r.JSON(t, &link)
		withCode := func(code zitadelCode) map[string]any {
			return map[string]any{"domain": "acme." + baseDomain, "code": map[string]any{"id": code.ID, "code": code.Code}}
		}
		requireError(t, nobody.Do(t, http.MethodPost, usersPath(grace), withCode(link.Code)), http.StatusForbidden, "permission_denied")
		requireError(t, nobody.Do(t, http.MethodPost, usersPath(heidi), withCode(zitadelCode{ID: link.Code.ID, Code: "WRONG"})),
			http.StatusForbidden, "permission_denied")
		// Refused attempts left it usable.
		zitadelRegister(t, acme, nobody, heidi, withCode(link.Code), authenticator.New())
		// A ceremony started with the management token needs it to verify.
		r = admin.Do(t, http.MethodPost, usersPath(heidi), body)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var s zitadelStart
		r.JSON(t, &s)
		_, resp, err := authenticator.New().Register(s.Options.PublicKey, acme.origin())
		require.NoError(t, err)
		r = nobody.Do(t, http.MethodPost, usersPath(heidi)+"/"+s.WebAuthNID+"/_verify",
			map[string]any{"publicKeyCredential": json.RawMessage(resp), "webAuthNName": "key"})
		requireError(t, r, http.StatusUnauthorized, "unauthenticated")
	})
}

// TestZitadelRegistrationLinkByEmail: with sendLink, the link goes out
// through the tenant's email connector, filled into the urlTemplate, and
// the code in it starts a registration.
func TestZitadelRegistrationLinkByEmail(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	mailTenant(t, f, "acme", mail, map[string]any{"signUp": map[string]any{"identifiers": []string{"username"}, "password": true}})
	tid := tenantID(t, f, "acme")
	acme := &accountTenant{f: f, slug: "acme", id: tid, app: createApp(t, f, tid, map[string]any{
		"name": "Account page", "type": "spa", "redirectUris": []string{"https://app.acme.test/callback"}})}
	signUp(t, tenantBrowser(f, "acme"), "ivan", "ivan@example.com", strongPassword)
	ivan := acme.userID(t, acme.passwordToken(t, "ivan", strongPassword))
	admin := acme.api(acme.managementToken(t, "management"))

	r := admin.Do(t, http.MethodPost, usersPath(ivan)+"/registration_link", map[string]any{"sendLink": map[string]any{
		"urlTemplate": "https://app.acme.test/passkey?user={{.UserID}}&org={{.OrgID}}&codeID={{.CodeID}}&code={{.Code}}"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.NotContains(t, string(r.Body), `"code"`, "the code goes by email only")
	m := mail.Next(t)
	require.Equal(t, []string{"ivan@example.com"}, m.To)
	raw := regexp.MustCompile(`https://app\.acme\.test/passkey\?\S+`).FindString(m.TextBody)
	require.NotEmpty(t, raw, "no link in %q", m.TextBody)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, ivan, q.Get("user"))
	require.Equal(t, tid, q.Get("org"))
	a := authenticator.New()
	zitadelRegister(t, acme, acme.api(""), ivan, map[string]any{"domain": "acme." + baseDomain,
		"code": map[string]any{"id": q.Get("codeID"), "code": q.Get("code")}}, a)
	acme.passkeySignIn(t, a, "ivan")
}
