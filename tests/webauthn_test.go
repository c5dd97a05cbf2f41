package tests

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// creationOptions is the part of the creation options the tests read.
type creationOptions struct {
	RP struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"user"`
	Challenge        string `json:"challenge"`
	PubKeyCredParams []struct {
		Type string `json:"type"`
		Alg  int    `json:"alg"`
	} `json:"pubKeyCredParams"`
	Timeout            int `json:"timeout"`
	ExcludeCredentials []struct {
		Type       string   `json:"type"`
		ID         string   `json:"id"`
		Transports []string `json:"transports"`
	} `json:"excludeCredentials"`
	AuthenticatorSelection struct {
		RequireResidentKey bool   `json:"requireResidentKey"`
		ResidentKey        string `json:"residentKey"`
		UserVerification   string `json:"userVerification"`
	} `json:"authenticatorSelection"`
	Attestation string `json:"attestation"`
	Extensions  struct {
		CredProps bool `json:"credProps"`
	} `json:"extensions"`
}

// passkeyTenant creates a tenant with MFA on and the given passkey
// settings, and returns a browser on it at its https origin.
func passkeyTenant(t *testing.T, f *Foyer, slug string, passkey map[string]any) *Client {
	t.Helper()
	settings := map[string]any{"mfa": map[string]any{"policy": "prompt"}}
	if passkey != nil {
		settings["passkey"] = passkey
	}
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": slug, "settings": settings})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	return tenantBrowser(f, slug)
}

func tenantBrowser(f *Foyer, slug string) *Client {
	c := f.Tenant(slug)
	c.Origin = "https://" + slug + "." + baseDomain
	return c
}

func registrationOptions(t *testing.T, c *Client) []byte {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-registration", map[string]any{})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	return r.Body
}

func authenticationOptions(t *testing.T, c *Client) []byte {
	t.Helper()
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/webauthn-authentication", map[string]any{})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	return r.Body
}

// bindPasskey runs a registration ceremony with a and binds the result.
func bindPasskey(t *testing.T, c *Client, a *authenticator.Authenticator) (*authenticator.Credential, []byte) {
	t.Helper()
	cred, resp, err := a.Register(registrationOptions(t, c), c.Origin)
	require.NoError(t, err)
	r := c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", withType(t, resp, "WebAuthn"))
	require.Equal(t, http.StatusNoContent, r.Status, "bind-mfa: %s", r.Body)
	return cred, resp
}

// withType sets the credential JSON's type member, as Logto's front end
// sends "WebAuthn".
func withType(t *testing.T, resp []byte, typ string) json.RawMessage {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(resp, &m))
	m["type"] = typ
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestPasskeyAsSecondFactor(t *testing.T) {
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", nil)
	a := authenticator.New(authenticator.WithTransports("usb", "nfc"))

	start(t, c, "Register")
	r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "grace", "password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	cred, _ := bindPasskey(t, c, a)
	submitOK(t, c)
	signOut(t, c)

	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "grace", strongPassword).Status)
	r = c.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	e := requireError(t, r, http.StatusForbidden, "session.mfa.require_mfa_verification")
	require.JSONEq(t, `{"availableFactors":["WebAuthn"],"skippable":false}`, string(e.Details))

	opts := authenticationOptions(t, c)
	var ro struct {
		RPID             string `json:"rpId"`
		UserVerification string `json:"userVerification"`
		AllowCredentials []struct {
			ID         string   `json:"id"`
			Transports []string `json:"transports"`
		} `json:"allowCredentials"`
	}
	require.NoError(t, json.Unmarshal(opts, &ro))
	require.Equal(t, "acme."+baseDomain, ro.RPID)
	require.Len(t, ro.AllowCredentials, 1)
	require.Equal(t, base64.RawURLEncoding.EncodeToString(cred.ID), ro.AllowCredentials[0].ID)
	require.Equal(t, []string{"usb", "nfc"}, ro.AllowCredentials[0].Transports)

	assertion, err := a.Login(opts, c.Origin)
	require.NoError(t, err)
	r = c.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn"))
	require.Equal(t, http.StatusNoContent, r.Status, "mfa: %s", r.Body)
	// The same assertion again: the challenge is spent.
	r = c.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn"))
	requireError(t, r, http.StatusBadRequest, "session.mfa.pending_info_not_found")

	submitOK(t, c)
	var sess struct {
		Methods []string `json:"methods"`
	}
	c.Do(t, http.MethodGet, "/api/session", nil).JSON(t, &sess)
	require.Equal(t, []string{"password", "webauthn"}, sess.Methods)
}

func TestPasskeyOnlySignIn(t *testing.T) {
	f := startFoyer(t, nil)
	// The tenant allows password-less sign-up: the passkey is the only credential.
	c := passkeyTenant(t, f, "acme", map[string]any{"residentKey": "required", "userVerification": "required", "passwordless": true})
	a := authenticator.New(authenticator.WithAttachment("platform"), authenticator.WithTransports("internal", "hybrid"),
		authenticator.WithBackup(true, true))
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "heidi"}).Status)
	e := requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusUnprocessableEntity, "user.missing_profile")
	require.JSONEq(t, `{"missingProfile":["password"]}`, string(e.Details), "without a passkey the password is still required")
	bindPasskey(t, c, a)
	submitOK(t, c)
	signOut(t, c)

	start(t, c, "SignIn")
	opts := authenticationOptions(t, c)
	var ro struct {
		AllowCredentials []any `json:"allowCredentials"`
	}
	require.NoError(t, json.Unmarshal(opts, &ro))
	require.Empty(t, ro.AllowCredentials, "discoverable options list no credentials")
	assertion, err := a.Login(opts, c.Origin)
	require.NoError(t, err)
	r := identify(t, c, map[string]any{"passkey": json.RawMessage(assertion)})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	submitOK(t, c)
	var sess struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
		Methods []string `json:"methods"`
	}
	c.Do(t, http.MethodGet, "/api/session", nil).JSON(t, &sess)
	require.Equal(t, "heidi", sess.User.Username)
	require.Equal(t, []string{"passkey"}, sess.Methods)
}

func TestRegistrationOptionsFollowTenantSettings(t *testing.T) {
	f := startFoyer(t, nil)
	algs := []int{-7, -8, -36, -37, -38, -39, -257, -258, -259}
	c := passkeyTenant(t, f, "acme", map[string]any{
		"pubKeyCredParams": algs, "residentKey": "required", "userVerification": "preferred",
		"timeout": 60000, "attestation": "none",
	})
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "ivan"}).Status)

	raw := registrationOptions(t, c)
	var all map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &all))
	for _, k := range []string{"rp", "user", "challenge", "pubKeyCredParams", "timeout", "excludeCredentials", "authenticatorSelection", "attestation", "extensions"} {
		require.Contains(t, all, k, "options must always carry %s", k)
	}
	var o creationOptions
	require.NoError(t, json.Unmarshal(raw, &o))
	require.Equal(t, "acme."+baseDomain, o.RP.ID)
	require.Equal(t, "ivan", o.User.Name)
	handle, err := base64.RawURLEncoding.DecodeString(o.User.ID)
	require.NoError(t, err)
	require.Len(t, handle, 64, "the user handle is 64 random bytes")
	challenge, err := base64.RawURLEncoding.DecodeString(o.Challenge)
	require.NoError(t, err)
	require.Len(t, challenge, 32)
	got := []int{}
	for _, p := range o.PubKeyCredParams {
		require.Equal(t, "public-key", p.Type)
		got = append(got, p.Alg)
	}
	require.Equal(t, algs, got)
	require.Equal(t, 60000, o.Timeout)
	require.True(t, o.AuthenticatorSelection.RequireResidentKey)
	require.Equal(t, "required", o.AuthenticatorSelection.ResidentKey)
	require.Equal(t, "preferred", o.AuthenticatorSelection.UserVerification)
	require.Equal(t, "none", o.Attestation)
	require.True(t, o.Extensions.CredProps)
	require.Empty(t, o.ExcludeCredentials)
	require.NotContains(t, string(raw), "appid", "appid is assertion-only")

	// After one binding, the next options exclude that credential, with
	// its transports.
	a := authenticator.New(authenticator.WithTransports("usb", "nfc"))
	cred, _ := bindPasskey(t, c, a)
	require.NoError(t, json.Unmarshal(registrationOptions(t, c), &o))
	require.Len(t, o.ExcludeCredentials, 1)
	require.Equal(t, base64.RawURLEncoding.EncodeToString(cred.ID), o.ExcludeCredentials[0].ID)
	require.Equal(t, "public-key", o.ExcludeCredentials[0].Type)
	require.Equal(t, []string{"usb", "nfc"}, o.ExcludeCredentials[0].Transports)

	// Invalid settings are refused, naming the field.
	id := tenantID(t, f, "acme")
	for _, tt := range []struct {
		passkey map[string]any
		field   string
	}{
		{map[string]any{"pubKeyCredParams": []int{-7, -999}}, "settings.passkey.pubKeyCredParams[1]"},
		{map[string]any{"residentKey": "sometimes"}, "settings.passkey.residentKey"},
		{map[string]any{"timeout": 5}, "settings.passkey.timeout"},
		{map[string]any{"attestation": "maybe"}, "settings.passkey.attestation"},
	} {
		r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+id, map[string]any{"settings": map[string]any{"passkey": tt.passkey}})
		e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
		require.Equal(t, tt.field, e.Fields(t)[0].Field)
	}
}

// newRegisterWithOptions opens a Register interaction on c and answers its
// creation options.
func newRegisterWithOptions(t *testing.T, c *Client, username string) []byte {
	t.Helper()
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": username, "password": strongPassword}).Status)
	return registrationOptions(t, c)
}

func TestWebAuthnRefusals(t *testing.T) {
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "acme", map[string]any{"userVerification": "required"})
	bind := func(c *Client, resp []byte) *Response {
		return c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", withType(t, resp, "WebAuthn"))
	}

	t.Run("replayed attestation", func(t *testing.T) {
		_, resp, err := authenticator.New().Register(newRegisterWithOptions(t, c, "judy"), c.Origin)
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, bind(c, resp).Status)
		requireError(t, bind(c, resp), http.StatusBadRequest, "session.mfa.pending_info_not_found")
	})
	refused := []struct {
		name   string
		a      *authenticator.Authenticator
		origin string
	}{
		{"wrong origin", authenticator.New(), "https://evil.example"},
		{"wrong RP ID", authenticator.New(authenticator.WithRPIDOverride("evil.example")), ""},
		{"user verification missing", authenticator.New(authenticator.WithUV(false)), ""},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			origin := tt.origin
			if origin == "" {
				origin = c.Origin
			}
			opts := newRegisterWithOptions(t, c, "kim")
			_, bad, err := tt.a.Register(opts, origin)
			require.NoError(t, err)
			_, good, err := authenticator.New().Register(opts, c.Origin)
			require.NoError(t, err)
			requireError(t, bind(c, bad), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
			// The failed attempt spent the challenge: even a genuine answer
			// to it is refused now.
			requireError(t, bind(c, good), http.StatusBadRequest, "session.mfa.pending_info_not_found")
		})
	}
	t.Run("challenge from another interaction", func(t *testing.T) {
		other := tenantBrowser(f, "acme")
		opts := newRegisterWithOptions(t, other, "leo")
		newRegisterWithOptions(t, c, "leo")
		_, resp, err := authenticator.New().Register(opts, c.Origin)
		require.NoError(t, err)
		requireError(t, bind(c, resp), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
	t.Run("options for another user", func(t *testing.T) {
		// Options built while the sign-in had identified rose; the
		// attestation arrives after it identified sam instead.
		for _, name := range []string{"rose", "sam"} {
			start(t, c, "Register")
			require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
				map[string]any{"username": name, "password": strongPassword}).Status)
			require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa-skipped", nil).Status)
			submitOK(t, c)
			signOut(t, c)
		}
		require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "rose", strongPassword).Status)
		_, resp, err := authenticator.New().Register(registrationOptions(t, c), c.Origin)
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"username": "sam", "password": strongPassword}).Status)
		requireError(t, bind(c, resp), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
	t.Run("credential id already registered", func(t *testing.T) {
		first := authenticator.New()
		_, _, err := first.Register(newRegisterWithOptions(t, c, "mallory"), c.Origin)
		require.NoError(t, err)
		start(t, c, "Register")
		require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
			map[string]any{"username": "mallory", "password": strongPassword}).Status)
		cred, _ := bindPasskey(t, c, first)
		submitOK(t, c)
		signOut(t, c)
		copycat := authenticator.New(authenticator.WithCredentialID(cred.ID))
		_, resp, err := copycat.Register(newRegisterWithOptions(t, c, "oscar"), c.Origin)
		require.NoError(t, err)
		requireError(t, bind(c, resp), http.StatusUnprocessableEntity, "user.webauthn_credential_already_in_use")
	})
	t.Run("counter goes backwards", func(t *testing.T) {
		a := authenticator.New()
		start(t, c, "Register")
		require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile",
			map[string]any{"username": "peggy", "password": strongPassword}).Status)
		cred, _ := bindPasskey(t, c, a)
		submitOK(t, c)
		signOut(t, c)
		mfa := func() *Response {
			require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "peggy", strongPassword).Status)
			assertion, err := a.Login(authenticationOptions(t, c), c.Origin)
			require.NoError(t, err)
			return c.Do(t, http.MethodPut, "/api/interaction/mfa", withType(t, assertion, "WebAuthn"))
		}
		require.Equal(t, http.StatusNoContent, mfa().Status)
		cred.SignCount = 0 // a clone that starts from an old counter
		requireError(t, mfa(), http.StatusBadRequest, "session.mfa.webauthn_counter_regression")
	})
	t.Run("garbage", func(t *testing.T) {
		newRegisterWithOptions(t, c, "quinn")
		for _, body := range []string{
			`{"type":"WebAuthn"}`,
			`{"type":"WebAuthn","id":"!!","rawId":"!!","response":{"clientDataJSON":"x","attestationObject":"y"}}`,
			`{"type":"WebAuthn","id":"AAAA","rawId":"AAAA","response":{"clientDataJSON":5,"attestationObject":"y"}}`,
			`{"type":"Sms","id":"AAAA"}`,
			`{"type":"WebAuthn","id":"AAAA","rawId":"AAAA","response":{"clientDataJSON":"AAAA","attestationObject":"AAAA","transports":["teleport"]}}`,
		} {
			r := c.Do(t, http.MethodPost, "/api/interaction/bind-mfa", body)
			require.Equal(t, http.StatusBadRequest, r.Status, "body %s: %s", body, r.Body)
			require.Equal(t, "guard.invalid_input", r.Error(t).Code)
		}
		r := c.Do(t, http.MethodPost, "/api/interaction/bind-mfa",
			`{"type":"WebAuthn","id":"AAAA","rawId":"AAAA","response":{"clientDataJSON":"AAAA","attestationObject":"AAAA"}}`)
		requireError(t, r, http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
}

func TestPasskeysStayInTheirTenant(t *testing.T) {
	f := startFoyer(t, nil)
	acme := passkeyTenant(t, f, "acme", map[string]any{"residentKey": "required"})
	// globex shares acme's RP ID, so the authenticator offers acme's
	// credential; globex must still not know it.
	globex := passkeyTenant(t, f, "globex", map[string]any{"residentKey": "required"})
	// Its own origin may use that RP ID as a related origin (W3C WebAuthn
	// L3 §5.11): otherwise no page of globex could run a ceremony at all.
	patchSettings(t, f, "globex", map[string]any{"rpId": "acme." + baseDomain, "relatedOrigins": []string{"https://globex." + baseDomain}})
	a := authenticator.New()
	start(t, acme, "Register")
	require.Equal(t, http.StatusNoContent, acme.Do(t, http.MethodPatch, "/api/interaction/profile",
		map[string]any{"username": "rita", "password": strongPassword}).Status)
	bindPasskey(t, acme, a)
	submitOK(t, acme)

	start(t, globex, "SignIn")
	assertion, err := a.Login(authenticationOptions(t, globex), globex.Origin)
	require.NoError(t, err)
	r := identify(t, globex, map[string]any{"passkey": json.RawMessage(assertion)})
	// Unknown here, and told as such: a page may ask the browser to forget it.
	requireError(t, r, http.StatusBadRequest, "session.mfa.webauthn_credential_not_found")
}
