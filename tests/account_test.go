package tests

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

const (
	registerPath = "/v1/users/me/mfa/webauthn/register"
	completePath = "/v1/users/me/mfa/webauthn/register/complete"
)

// accountOptions is the answer of the register call: {options}.
type accountOptions struct {
	Options json.RawMessage `json:"options"`
}

// TestAccountAPIWebAuthnEnrollment calls the account API exactly as seeds
// 000 and 001 do (curl's headers, query and body): options for a passkey,
// completion with the software authenticator's answer (ten backup codes for
// the first factor), a security key as second factor (no codes), and the
// errors the seeds list. The user then signs in with the new passkey
// through /api/interaction.
func TestAccountAPIWebAuthnEnrollment(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := newAccountTenant(t, f, "acme", nil)
	globex := newAccountTenant(t, f, "globex", nil)
	signUp(t, tenantBrowser(f, "acme"), "ada", "ada@example.com", strongPassword)
	signUp(t, tenantBrowser(f, "globex"), "ada", "ada@example.com", strongPassword)
	token := acme.passwordToken(t, "ada", strongPassword)
	openidOnly := acme.passwordToken(t, "ada", strongPassword, "openid") // no account audience
	globexToken := globex.passwordToken(t, "ada", strongPassword)
	api := acme.api(token)
	// The token says how the user signed in (amr), which policies see as aal.
	_, claims := jwtParts(t, token)
	require.Equal(t, []any{"pwd"}, claims["amr"])

	// Seed 001 before any registration: no pending enrollment is 404,
	// whatever the credential holds (the seed's own example body).
	seedBody := `{ "credential": {}, "device_name": "example", "method_type": "webauthn_passkey" }`
	requireError(t, api.Do(t, http.MethodPost, completePath, seedBody, acme.tenantHeader()), http.StatusNotFound, "not_found")

	// Seed 000: POST with the query, Authorization and X-Tenant-ID, no body.
	r := api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_passkey", nil, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	var reg accountOptions
	r.JSON(t, &reg)
	var opts struct {
		creationOptions
		Hints                  []string `json:"hints"`
		AuthenticatorSelection struct {
			AuthenticatorAttachment string `json:"authenticatorAttachment"`
			RequireResidentKey      bool   `json:"requireResidentKey"`
			ResidentKey             string `json:"residentKey"`
			UserVerification        string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	}
	require.NoError(t, json.Unmarshal(reg.Options, &opts))
	require.Equal(t, "acme."+baseDomain, opts.RP.ID)
	require.Equal(t, "ada", opts.User.Name)
	require.True(t, opts.AuthenticatorSelection.RequireResidentKey)
	require.Equal(t, "required", opts.AuthenticatorSelection.ResidentKey)
	require.Equal(t, "required", opts.AuthenticatorSelection.UserVerification)
	// go-webauthn sets the attachment the first hint implies, for browsers
	// that predate hints (W3C WebAuthn L3 §5.8.7).
	require.Equal(t, "platform", opts.AuthenticatorSelection.AuthenticatorAttachment)
	require.Equal(t, []string{"client-device", "hybrid"}, opts.Hints)
	require.Empty(t, opts.ExcludeCredentials)

	passkey := authenticator.New(authenticator.WithAttachment("platform"), authenticator.WithTransports("internal", "hybrid"),
		authenticator.WithBackup(true, true))
	_, resp, err := passkey.Register(reg.Options, acme.origin())
	require.NoError(t, err)
	body := `{ "credential": ` + string(resp) + `, "device_name": "example", "method_type": "webauthn_passkey" }`
	r = api.Do(t, http.MethodPost, completePath, body, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var first codesOut
	r.JSON(t, &first)
	require.Len(t, first.Codes, 10, "the first second factor comes with ten backup codes")
	require.Equal(t, 10, first.Remaining)
	requireNoSecretInRedis(t, f, first.Codes...)

	// Completed: the same answer again finds nothing pending.
	requireError(t, api.Do(t, http.MethodPost, completePath, body, acme.tenantHeader()), http.StatusNotFound, "not_found")

	// A security key as the second factor: cross-platform, no new codes.
	r = api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_security_key", nil, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &reg)
	require.NoError(t, json.Unmarshal(reg.Options, &opts))
	require.Equal(t, "cross-platform", opts.AuthenticatorSelection.AuthenticatorAttachment)
	require.Equal(t, "discouraged", opts.AuthenticatorSelection.ResidentKey)
	require.False(t, opts.AuthenticatorSelection.RequireResidentKey)
	require.Equal(t, []string{"security-key"}, opts.Hints)
	require.Len(t, opts.ExcludeCredentials, 1, "the passkey is excluded")
	key := authenticator.New(authenticator.WithAttachment("cross-platform"), authenticator.WithTransports("usb"))
	_, resp, err = key.Register(reg.Options, acme.origin())
	require.NoError(t, err)
	// The completion must name the pending enrollment's method type.
	wrong := `{ "credential": ` + string(resp) + `, "device_name": "YubiKey", "method_type": "webauthn_passkey" }`
	requireError(t, api.Do(t, http.MethodPost, completePath, wrong, acme.tenantHeader()), http.StatusNotFound, "not_found")
	r = api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_security_key", nil, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &reg)
	_, resp, err = key.Register(reg.Options, acme.origin())
	require.NoError(t, err)
	body = `{ "credential": ` + string(resp) + `, "device_name": "YubiKey", "method_type": "webauthn_security_key" }`
	r = api.Do(t, http.MethodPost, completePath, body, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var second codesOut
	r.JSON(t, &second)
	require.Equal(t, []string{}, second.Codes)
	require.Equal(t, 10, second.Remaining)

	// The factors, as the account page lists them.
	var factors struct {
		Factors []struct {
			ID             string   `json:"id"`
			Type           string   `json:"type"`
			Name           string   `json:"name"`
			Transports     []string `json:"transports"`
			BackupEligible *bool    `json:"backupEligible"`
			Remaining      *int     `json:"remaining"`
		} `json:"factors"`
	}
	r = api.Do(t, http.MethodGet, "/v1/users/me/mfa", nil, acme.tenantHeader())
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &factors)
	require.Len(t, factors.Factors, 3)
	require.Equal(t, "webauthn", factors.Factors[0].Type)
	require.Equal(t, "example", factors.Factors[0].Name)
	require.Equal(t, []string{"internal", "hybrid"}, factors.Factors[0].Transports)
	require.True(t, *factors.Factors[0].BackupEligible)
	require.Equal(t, "YubiKey", factors.Factors[1].Name)
	require.Equal(t, "backup_codes", factors.Factors[2].Type)
	require.Equal(t, 10, *factors.Factors[2].Remaining)

	// The new passkey signs the user in on the sign-in page.
	acme.passkeySignIn(t, passkey, "ada")

	t.Run("tenant mismatch", func(t *testing.T) {
		for _, path := range []string{registerPath + "?method_type=webauthn_passkey", completePath} {
			r := api.Do(t, http.MethodPost, path, seedBody, WithHeader("X-Tenant-ID", globex.id))
			requireError(t, r, http.StatusForbidden, "tenant_mismatch")
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		for name, bearer := range map[string]string{
			"no token": "", "malformed": "not.a.jwt", "foreign audience": openidOnly, "another tenant's": globexToken,
			"expired signature": token[:len(token)-4] + "AAAA",
		} {
			r := acme.api(bearer).Do(t, http.MethodPost, registerPath+"?method_type=webauthn_passkey", nil, acme.tenantHeader())
			requireError(t, r, http.StatusUnauthorized, "unauthenticated")
			require.True(t, strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer "), "%s: %q", name, r.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("unknown method type", func(t *testing.T) {
		r := api.Do(t, http.MethodPost, registerPath+"?method_type=webauthn_magic_link", nil, acme.tenantHeader())
		requireError(t, r, http.StatusNotImplemented, "not_implemented")
		r = api.Do(t, http.MethodPost, completePath, `{"credential":{},"device_name":"example","method_type":"sms"}`, acme.tenantHeader())
		requireError(t, r, http.StatusNotImplemented, "not_implemented")
	})
}
