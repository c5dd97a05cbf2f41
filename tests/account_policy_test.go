package tests

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// The README's two example policies.
const (
	securityKeysByAdmins = `@id("security-keys-by-admins")
@notice("Security keys are issued by your administrators; register a passkey instead.")
forbid (principal is User, action == Action::"RegisterWebAuthn", resource)
when { context.method_type == "webauthn_security_key" };
`
	keepOneFactor = `@id("keep-one-factor")
@notice("This is your last second factor: add another before removing it.")
forbid (principal, action == Action::"RemoveFactor", resource)
when { resource.factorCount <= 1 };
`
)

func putPolicies(t *testing.T, f *Foyer, tid, text string) *Response {
	t.Helper()
	return f.Admin().Do(t, http.MethodPut, "/api/admin/tenants/"+tid+"/policies", map[string]any{"policies": text})
}

// enrollPasskey registers a passkey (or, with method, a security key)
// through the account API and returns its factor id.
func enrollPasskey(t *testing.T, at *accountTenant, api *Client, method string, a *authenticator.Authenticator) string {
	t.Helper()
	r := api.Do(t, http.MethodPost, registerPath+"?method_type="+method, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var reg accountOptions
	r.JSON(t, &reg)
	_, resp, err := a.Register(reg.Options, at.origin())
	require.NoError(t, err)
	r = api.Do(t, http.MethodPost, completePath, map[string]any{"credential": json.RawMessage(resp), "method_type": method})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var list struct {
		Factors []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"factors"`
	}
	api.Do(t, http.MethodGet, "/v1/users/me/mfa", nil).JSON(t, &list)
	id := ""
	for _, fc := range list.Factors {
		if fc.Type == "webauthn" {
			id = fc.ID // the newest comes last
		}
	}
	require.NotEmpty(t, id)
	return id
}

// TestCedarPolicies: a malformed policy is refused at save with its
// position; the two example policies deny a security key and the removal
// of the last factor with their notices, and allow the rest.
func TestCedarPolicies(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := newAccountTenant(t, f, "acme", nil)
	signUp(t, tenantBrowser(f, "acme"), "judy", "judy@example.com", strongPassword)
	api := acme.api(acme.passwordToken(t, "judy", strongPassword))

	// Malformed: refused with line and column, and nothing is stored.
	r := putPolicies(t, f, acme.id, "permit (principal, action, resource);\n\nforbid (principal, action ==, resource);\n")
	e := requireError(t, r, http.StatusBadRequest, "policy.invalid_syntax")
	var pos struct {
		Line   int    `json:"line"`
		Column int    `json:"column"`
		Reason string `json:"reason"`
	}
	require.NoError(t, json.Unmarshal(e.Details, &pos))
	require.Equal(t, 3, pos.Line)
	require.Equal(t, 31, pos.Column)
	require.NotEmpty(t, pos.Reason)
	require.Contains(t, e.Message, "line 3, column 31")
	var saved struct {
		Policies string `json:"policies"`
		Count    int    `json:"count"`
	}
	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+acme.id+"/policies", nil).JSON(t, &saved)
	require.Empty(t, saved.Policies)
	require.Zero(t, saved.Count)

	// Without policies everything is allowed: enrol a security key, then
	// remove it.
	id := enrollPasskey(t, acme, api, "webauthn_security_key", authenticator.New())
	require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/webauthn/"+id, nil).Status)

	r = putPolicies(t, f, acme.id, securityKeysByAdmins+"\n"+keepOneFactor)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &saved)
	require.Equal(t, 2, saved.Count)
	f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+acme.id+"/policies", nil).JSON(t, &saved)
	require.Equal(t, securityKeysByAdmins+"\n"+keepOneFactor, saved.Policies)

	// A security key is denied with the policy's notice; a passkey is not.
	e = requireError(t, api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_security_key", nil),
		http.StatusForbidden, "policy.denied")
	require.Equal(t, []string{"Security keys are issued by your administrators; register a passkey instead."}, e.Notices)
	passkey := enrollPasskey(t, acme, api, "webauthn_passkey", authenticator.New())

	// The last factor stays; with a second one, either may go.
	e = requireError(t, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/webauthn/"+passkey, nil), http.StatusForbidden, "policy.denied")
	require.Equal(t, []string{"This is your last second factor: add another before removing it."}, e.Notices)
	enrollPasskey(t, acme, api, "webauthn_passkey", authenticator.New())
	require.Equal(t, http.StatusNoContent, api.Do(t, http.MethodDelete, "/v1/users/me/mfa/webauthn/"+passkey, nil).Status)

	// An administrator (a management token) may still enrol a security key.
	uid := acme.userID(t, api.Bearer)
	admin := acme.api(acme.managementToken(t, "management"))
	zitadelRegister(t, acme, admin, uid, map[string]any{"domain": "acme." + baseDomain,
		"authenticatorType": "WEB_AUTH_N_AUTHENTICATOR_CROSS_PLATFORM"}, authenticator.New(authenticator.WithAttachment("cross-platform")))

	// Removing every policy allows everything again.
	require.Equal(t, http.StatusOK, putPolicies(t, f, acme.id, "").Status)
	require.Equal(t, http.StatusOK, api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_security_key", nil).Status)
}
