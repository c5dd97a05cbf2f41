package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireField asserts a guard.invalid_input answer naming one field and rule
// (and param, when want.Param is set).
func requireField(t *testing.T, r *Response, want FieldError) {
	t.Helper()
	e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	fields := e.Fields(t)
	require.NotEmpty(t, fields)
	got := fields[0]
	if want.Param == "" {
		got.Param = ""
	}
	require.Equal(t, want, got, "details.fields %+v", fields)
}

// TestStrictJSON: bodies are decoded as the schemas say (additionalProperties:
// false): a member in another case, a repeated member or an unknown member is
// a 400 naming it, and nothing is written. encoding/json would take
// {"event":"SignIn","Event":"Register"} as Register.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	id := start(t, c, "SignIn")
	v0, _ := f.storedIx(t, id)

	tests := []struct {
		name, method, path, body string
		want                     FieldError
	}{
		{"member in another case", http.MethodPut, "/api/interaction", `{"event":"SignIn","Event":"Register"}`, FieldError{Field: "Event", Rule: "unknown"}},
		{"only member in another case", http.MethodPut, "/api/interaction/event", `{"EVENT":"Register"}`, FieldError{Field: "EVENT", Rule: "unknown"}},
		{"repeated member", http.MethodPut, "/api/interaction/event", `{"event":"SignIn","event":"Register"}`, FieldError{Field: "event", Rule: "duplicate"}},
		{"unknown member", http.MethodPut, "/api/interaction", `{"event":"Register","admin":true}`, FieldError{Field: "admin", Rule: "unknown"}},
		{"unknown nested member", http.MethodPut, "/api/interaction", `{"event":"SignIn","identifier":{"username":"a","password":"b","remember":true}}`, FieldError{Field: "identifier.remember", Rule: "unknown"}},
		{"repeated nested member", http.MethodPatch, "/api/interaction/identifiers", `{"username":"a","password":"b","password":"c"}`, FieldError{Field: "password", Rule: "duplicate"}},
		{"profile member in another case", http.MethodPatch, "/api/interaction/profile", `{"username":"bob","Password":"x"}`, FieldError{Field: "Password", Rule: "unknown"}},
		{"unknown member with a factor", http.MethodPut, "/api/interaction/mfa", `{"type":"Totp","code":"123456","trust":true}`, FieldError{Field: "trust", Rule: "unknown"}},
		{"factor type in another case", http.MethodPost, "/api/interaction/bind-mfa", `{"type":"BackupCode","Type":"Totp"}`, FieldError{Field: "Type", Rule: "unknown"}},
		{"unknown member in a code request", http.MethodPost, "/api/interaction/verification/verification-code", `{"email":"a@example.com","cc":"b@example.com"}`, FieldError{Field: "cc", Rule: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireField(t, c.Do(t, tt.method, tt.path, tt.body), tt.want)
		})
	}
	v, doc := f.storedIx(t, id)
	require.Equal(t, v0, v, "a refused body writes nothing")
	require.Equal(t, "SignIn", doc.Event)

	// The admin API too: "MFA" is not "mfa".
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+acme.ID, `{"settings":{"MFA":{"policy":"mandatory"}}}`)
	requireField(t, r, FieldError{Field: "settings.MFA", Rule: "unknown"})
	r = f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", `{"slug":"globex","Slug":"initech"}`)
	requireField(t, r, FieldError{Field: "Slug", Rule: "unknown"})
	require.Equal(t, "off", getTenant(t, f, acme.ID).Settings.MFA.Policy)
}

// TestMultipartIs415: a body that is not JSON is 415 whatever its type;
// multipart used to be parsed (and refused with a bare 400) before Foyer saw it.
func TestMultipartIs415(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	const mp = "multipart/form-data; boundary=xyz"
	for _, body := range []string{`{"event":"SignIn"}`, "--xyz\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nSignIn\r\n--xyz--\r\n"} {
		requireError(t, f.Demo().Do(t, http.MethodPut, "/api/interaction", body, WithContentType(mp)),
			http.StatusUnsupportedMediaType, "guard.invalid_content_type")
		requireError(t, f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", body, WithContentType(mp)),
			http.StatusUnsupportedMediaType, "guard.invalid_content_type")
	}
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"))
}

// plainDo sends a request outside the validating client: the answers here
// are to methods the document does not (cannot) list.
func plainDo(t *testing.T, f *Foyer, method, path, host string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL+path, nil)
	require.NoError(t, err)
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

// TestWrongMethodIs405: a path served for other methods answers 405 with
// Allow; an unknown path stays 404.
func TestWrongMethodIs405(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	demo := "localhost:" + strconv.Itoa(f.Port)
	same := map[string]string{"Origin": "http://" + demo}
	admin := map[string]string{"Authorization": "Bearer " + f.AdminKey}
	tests := []struct {
		method, path string
		header       map[string]string
		status       int
		code, allow  string
	}{
		{http.MethodDelete, "/api/interaction/submit", same, 405, "request.method_not_allowed", "POST"},
		{http.MethodGet, "/api/interaction/mfa", nil, 405, "request.method_not_allowed", "PUT"},
		{http.MethodPost, "/api/interaction", same, 405, "request.method_not_allowed", "DELETE, GET, HEAD, PUT"},
		{http.MethodPost, "/healthz", nil, 405, "request.method_not_allowed", "GET, HEAD"},
		{http.MethodDelete, "/api/admin/tenants/4c727bed-2d4b-4688-b9ef-2967071099de", admin, 405, "request.method_not_allowed", "GET, HEAD, PATCH"},
		{http.MethodPut, "/api/admin/tenants", admin, 405, "request.method_not_allowed", "GET, HEAD, POST"},
		{http.MethodGet, "/api/nothing-here", nil, 404, "request.not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := plainDo(t, f, tt.method, tt.path, demo, tt.header)
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.Equal(t, tt.status, res.StatusCode, "body %s", body)
			require.Equal(t, tt.allow, res.Header.Get("Allow"))
			var e Envelope
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, tt.code, e.Code)
			require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		})
	}
}

// TestSecurityHeaders: every answer is nosniff; HSTS is sent outside dev
// mode on https (as the TLS terminator says with X-Forwarded-Proto), never
// in dev mode and never over plain http.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	dev := startFoyer(t, nil)
	prod := startFoyer(t, map[string]string{
		"FOYER_DEV":        "0",
		"FOYER_SECRET_KEY": strings.Repeat("ab", 32),
		// Only believed from a trusted proxy where that setting exists.
		"FOYER_TRUSTED_PROXIES": "127.0.0.1/32",
	})
	createTenant(t, prod, map[string]any{"slug": "acme"})
	for _, tt := range []struct {
		name     string
		c        *Client
		proto    string
		wantHSTS bool
	}{
		{"dev over http", dev.Demo(), "", false},
		{"dev over https", dev.Demo(), "https", false},
		{"production over https", prod.Tenant("acme"), "https", true},
		{"production over http", prod.Tenant("acme"), "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Proto = tt.proto
			for _, r := range []*Response{
				tt.c.Do(t, http.MethodGet, "/healthz", nil),
				tt.c.Do(t, http.MethodGet, "/api/interaction", nil),           // 400 session.not_found
				tt.c.Do(t, http.MethodPut, "/api/interaction", `{"event":1}`), // 400 guard.invalid_input
			} {
				require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), "status %d", r.Status)
				if tt.wantHSTS {
					require.Equal(t, "max-age=31536000", r.Header.Get("Strict-Transport-Security"), "status %d", r.Status)
				} else {
					require.Empty(t, r.Header.Get("Strict-Transport-Security"), "status %d", r.Status)
				}
			}
		})
	}
}

// TestEmailsAreNormalised: an address that looks like another is either the
// same account or refused (account.NormalizeEmail), at sign-up, at sign-in
// and when a code is sent; refusals name the field and the reason.
func TestEmailsAreNormalised(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	signUp(t, c, "zoe", "zoe@example.com", strongPassword)
	signOut(t, c)

	start(t, c, "Register")
	for _, tt := range []struct{ email, reason string }{
		{"zoe@example.com\u202e", "hidden_character"},
		{"\u202ezoe@example.com", "hidden_character"},
		{"zo\u200be@example.com", "hidden_character"},
		{"zoe@exam\u00adple.com", "hidden_character"},
		{"z\u043ee@example.com", "local_part_ascii"}, // Cyrillic о
		{"z\u03bfe@example.com", "local_part_ascii"}, // Greek ο
		{`"zoe"@example.com`, "quoted_local_part"},
		{`"zoe@example.com"@example.com`, "quoted_local_part"},
		{"zoe@ex\u0430mple.com", "mixed_script"}, // Cyrillic а in the domain
		{"zoe@localhost", "domain"},
	} {
		r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"email": tt.email})
		requireField(t, r, FieldError{Field: "email", Rule: "email", Param: tt.reason})
	}
	// Fullwidth forms and case fold onto the existing account.
	requireError(t, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"email": "ＺＯＥ＠ｅｘａｍｐｌｅ．ｃｏｍ"}),
		http.StatusUnprocessableEntity, "user.email_already_in_use")

	// Sign-in looks the folded form up; a hidden character is refused.
	r := signIn(t, c, "email", "ｚｏｅ@Example.COM", strongPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	requireField(t, signIn(t, c, "email", "zoe@example.com\u202e", strongPassword), FieldError{Field: "email", Rule: "email", Param: "hidden_character"})

	// Codes go to the canonical address, and never to a refused one.
	start(t, c, "SignIn")
	requireField(t, c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "zoe@example.com\u202e"}),
		FieldError{Field: "email", Rule: "email", Param: "hidden_character"})
	r = c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "ＺＯＥ@example.com"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	// The log reaches the test through a pipe: give it a moment.
	require.Eventually(t, func() bool { return strings.Contains(f.Log(), "to=zoe@example.com ") }, 5*time.Second, 10*time.Millisecond,
		"the code goes to the canonical address")

	// An internationalised domain has one form, however it is written.
	d := f.Demo()
	signUp(t, d, "anna", "anna@Bu\u0308cher.example", strongPassword)
	var sess struct {
		User struct {
			PrimaryEmail string `json:"primaryEmail"`
		} `json:"user"`
	}
	d.Do(t, http.MethodGet, "/api/session", nil).JSON(t, &sess)
	require.Equal(t, "anna@xn--bcher-kva.example", sess.User.PrimaryEmail)
	signOut(t, d)
	r = signIn(t, d, "email", "anna@bücher.example", strongPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)

	for _, k := range f.scanKeys(t, "foyer:t:*:idx:email:*") {
		for _, b := range []byte(k) {
			require.Less(t, b, byte(0x80), "email index keys are ASCII: %q", k)
		}
	}
	require.Len(t, f.scanKeys(t, "foyer:t:*:idx:email:*"), 2)
}

// TestPasswordEncoding: a password with a lone surrogate escape or invalid
// UTF-8 is refused (encoding/json made every such password U+FFFD, one
// password for many inputs); passwords are compared in NFC, so a composed
// and a decomposed "é" are the same password.
func TestPasswordEncoding(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()

	const nfc = "Cr\u00e8me br\u00fbl\u00e9e au caf\u00e9, 42 fois"
	const nfd = "Cre\u0300me bru\u0302le\u0301e au cafe\u0301, 42 fois"
	require.NotEqual(t, nfc, nfd)
	signUp(t, c, "nfc", "", nfc)
	signOut(t, c)
	r := signIn(t, c, "username", "nfc", nfd)
	require.Equal(t, http.StatusNoContent, r.Status, "NFD of the NFC password: %s", r.Body)
	submitOK(t, c)
	signOut(t, c)
	d := f.Demo()
	signUp(t, d, "nfd", "", nfd)
	signOut(t, d)
	require.Equal(t, http.StatusNoContent, signIn(t, d, "username", "nfd", nfc).Status, "NFC of the NFD password")

	invalid := func(t *testing.T, r *Response) {
		t.Helper()
		e := requireError(t, r, http.StatusUnprocessableEntity, "password.rejected")
		require.JSONEq(t, `{"issues":[{"code":"password_rejected.invalid_encoding"}]}`, string(e.Details))
	}
	start(t, c, "Register")
	for _, body := range []string{
		`{"username":"sur","password":"a long passphrase \ud800 that is strong"}`,
		`{"username":"sur","password":"a long passphrase \udfff that is strong"}`,
		"{\"username\":\"sur\",\"password\":\"a long passphrase \xff\xfe that is strong\"}",
	} {
		invalid(t, c.Do(t, http.MethodPatch, "/api/interaction/profile", body))
	}
	invalid(t, c.Do(t, http.MethodPut, "/api/interaction", `{"event":"Register","profile":{"username":"sur","password":"x\ud800yyyyyyyy"}}`))
	start(t, c, "SignIn")
	invalid(t, c.Do(t, http.MethodPatch, "/api/interaction/identifiers", `{"username":"nfc","password":"\ud800"}`))
	invalid(t, c.Do(t, http.MethodPut, "/api/interaction", `{"event":"SignIn","identifier":{"username":"nfc","password":"\udc00\ud800"}}`))
	require.Empty(t, f.scanKeys(t, "foyer:t:*:idx:username:sur"))
}

// TestSignInRedirectURIRules: signInRedirectUri refuses what a browser would
// resolve off the tenant (controls and backslashes that WHATWG parsers drop
// or read as "/", scheme-relative paths, userinfo, other schemes).
func TestSignInRedirectURIRules(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	path := "/api/admin/tenants/" + acme.ID
	for _, bad := range []string{
		"/\t/evil.test", "/\n/evil.test", "/\r\n", "/\x00/", "/\x7f", "/\\evil.test", "/x\\y", "//evil.test",
		" /x", "/x y", "/\u00a0x", "https://acme.example@evil.test/", "http://evil.test/", "javascript:alert(1)",
	} {
		r := f.Admin().Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{"signInRedirectUri": bad}})
		requireField(t, r, FieldError{Field: "settings.signInRedirectUri", Rule: "redirect_uri"})
	}
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "globex", "settings": map[string]any{"signInRedirectUri": "/\t/evil.test"}})
	requireField(t, r, FieldError{Field: "settings.signInRedirectUri", Rule: "redirect_uri"})
	require.Equal(t, "/", getTenant(t, f, acme.ID).Settings.SignInRedirectURI)

	for _, good := range []string{"/welcome?from=foyer", "https://app.acme.example/done", "http://localhost:5173/cb"} {
		r := f.Admin().Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{"signInRedirectUri": good}})
		require.Equal(t, http.StatusOK, r.Status, "%q: %s", good, r.Body)
	}
}

// TestTenantHostRules: inside the base domain a tenant has only its own
// <slug>.<base>; no host may sit above or below another tenant's; platform
// names are not slugs. Refusals name the field and claim nothing.
func TestTenantHostRules(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	admin := f.Admin()
	acme := createTenant(t, f, map[string]any{"slug": "acme", "hosts": []string{"acme.foyer.test", "login.acme.example"}})
	require.Equal(t, []string{"acme.foyer.test", "login.acme.example"}, acme.Hosts)

	for _, slug := range []string{"admin", "api", "www", "login", "oidc"} {
		requireField(t, admin.Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": slug}), FieldError{Field: "slug", Rule: "reserved"})
	}
	for _, tt := range []struct {
		host string
		rule string
	}{
		{"foyer.test", "outside_base_domain"},          // the apex
		{"Foyer.Test", "outside_base_domain"},          // the apex, written otherwise
		{"initech.foyer.test", "outside_base_domain"},  // a future slug's host
		{"acme.foyer.test", "outside_base_domain"},     // another slug's host
		{"x.acme.foyer.test", "outside_base_domain"},   // below another tenant's host
		{"x.globex.foyer.test", "outside_base_domain"}, // below its own slug host
		{"x.login.acme.example", "overlaps_tenant"},    // below another tenant's custom host
		{"acme.example", "overlaps_tenant"},            // above it
	} {
		r := admin.Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "globex", "hosts": []string{tt.host}})
		requireField(t, r, FieldError{Field: "hosts[0]", Rule: tt.rule})
	}
	require.Empty(t, f.scanKeys(t, "foyer:slug:globex"), "a refused create claims nothing")
	require.Empty(t, f.scanKeys(t, "foyer:host:*globex*"))

	globex := createTenant(t, f, map[string]any{"slug": "globex", "hosts": []string{"globex.foyer.test", "sso.globex.example"}})
	require.Equal(t, []string{"globex.foyer.test", "sso.globex.example"}, globex.Hosts)
	for _, tt := range []struct {
		hosts []string
		field string
		rule  string
	}{
		{[]string{"globex.foyer.test", "foyer.test"}, "hosts[1]", "outside_base_domain"},
		{[]string{"initech.foyer.test"}, "hosts[0]", "outside_base_domain"},
		{[]string{"auth.login.acme.example"}, "hosts[0]", "overlaps_tenant"},
	} {
		r := admin.Do(t, http.MethodPatch, "/api/admin/tenants/"+globex.ID, map[string]any{"hosts": tt.hosts})
		requireField(t, r, FieldError{Field: tt.field, Rule: tt.rule})
	}
	require.Equal(t, globex.Hosts, getTenant(t, f, globex.ID).Hosts)
	r := admin.Do(t, http.MethodPatch, "/api/admin/tenants/"+globex.ID, map[string]any{"hosts": []string{"globex.foyer.test", "id.globex.example"}})
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
}

// TestSignUpSettingsNeedACredential: settings under which Register would make
// accounts nobody can sign in to are refused at save.
func TestSignUpSettingsNeedACredential(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	path := "/api/admin/tenants/" + acme.ID
	for _, tt := range []struct {
		settings    map[string]any
		field, rule string
	}{
		{map[string]any{"signUp": map[string]any{"identifiers": []string{}, "password": false}}, "settings.signUp.identifiers", "required_without"},
		{map[string]any{"signUp": map[string]any{"identifiers": []string{}, "password": true}}, "settings.signUp.identifiers", "required_without"},
		{map[string]any{"signUp": map[string]any{"identifiers": []string{"username"}, "password": false}}, "settings.signUp.password", "required_without_all"},
	} {
		requireField(t, f.Admin().Do(t, http.MethodPatch, path, map[string]any{"settings": tt.settings}), FieldError{Field: tt.field, Rule: tt.rule})
		r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "globex", "settings": tt.settings})
		require.Equal(t, http.StatusBadRequest, r.Status, "body %s", r.Body)
	}
	require.Equal(t, acme.Settings.SignUp, getTenant(t, f, acme.ID).Settings.SignUp)

	for _, ok := range []map[string]any{
		{"signUp": map[string]any{"identifiers": []string{"email"}, "password": false}},
		{"signUp": map[string]any{"identifiers": []string{}, "password": false}, "passkey": map[string]any{"passwordless": true}},
	} {
		r := f.Admin().Do(t, http.MethodPatch, path, map[string]any{"settings": ok})
		require.Equal(t, http.StatusOK, r.Status, "%v: %s", ok, r.Body)
	}
}

// TestCodeNotSentWhenNotStored: a one-time code is stored before it is sent,
// so when storing fails (here Redis refuses writes to interactions, by ACL)
// the answer is 503 and no code has gone out.
func TestCodeNotSentWhenNotStored(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	start(t, c, "SignIn")
	require.NoError(t, f.Redis.Do(t.Context(), "ACL", "SETUSER", "default", "resetkeys", "~foyer:rl:*", "~foyer:t:*",
		"~foyer:host:*", "~foyer:slug:*", "~foyer:tenants", "%R~foyer:ix:*").Err())
	r := c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "zoe@example.com"})
	requireError(t, r, http.StatusServiceUnavailable, "storage.unavailable")
	time.Sleep(50 * time.Millisecond) // the log line would be written by now
	require.NotContains(t, f.Log(), "verification code printed", "a code that was not stored must not be sent")
	require.NoError(t, f.Redis.Do(t.Context(), "ACL", "SETUSER", "default", "allkeys").Err())

	// With storage back, the same call stores and sends.
	r = c.Do(t, http.MethodPost, "/api/interaction/verification/verification-code", map[string]any{"email": "zoe@example.com"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Eventually(t, func() bool { return strings.Contains(f.Log(), "verification code printed") }, 5*time.Second, 10*time.Millisecond,
		"the stored code is sent")
}
