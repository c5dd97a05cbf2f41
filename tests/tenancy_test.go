package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// tenantBody is the Tenant schema, as the admin API returns it.
type tenantBody struct {
	ID       string   `json:"id"`
	Slug     string   `json:"slug"`
	Hosts    []string `json:"hosts"`
	Settings struct {
		DisplayName       string   `json:"displayName"`
		RPID              string   `json:"rpId"`
		Origins           []string `json:"origins"`
		SignInRedirectURI string   `json:"signInRedirectUri"`
		SignUp            struct {
			Identifiers []string `json:"identifiers"`
			Password    bool     `json:"password"`
		} `json:"signUp"`
		Password struct {
			MinScore int `json:"minScore"`
		} `json:"password"`
		MFA struct {
			Policy string `json:"policy"`
		} `json:"mfa"`
	} `json:"settings"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func createTenant(t *testing.T, f *Foyer, body any) tenantBody {
	t.Helper()
	r := f.Admin().Do(t, http.MethodPost, "/api/admin/tenants", body)
	require.Equal(t, http.StatusCreated, r.Status, "body %s", r.Body)
	var tn tenantBody
	r.JSON(t, &tn)
	return tn
}

func getTenant(t *testing.T, f *Foyer, id string) tenantBody {
	t.Helper()
	r := f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+id, nil)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	var tn tenantBody
	r.JSON(t, &tn)
	return tn
}

// TestUnknownHost: a Host no tenant is served on is 404 tenant.not_found on
// every interaction call, and nothing is written to Redis.
func TestUnknownHost(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	for _, host := range []string{"nobody.foyer.test", "nobody.foyer.test:" + strconv.Itoa(f.Port), "evil.example", "foyer.test"} {
		c := f.Client(host)
		requireError(t, c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"}), http.StatusNotFound, "tenant.not_found")
		requireError(t, c.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusNotFound, "tenant.not_found")
	}
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"))
}

// TestAdminRequiresBearer: the admin API answers 401 unauthenticated, with
// WWW-Authenticate: Bearer, without the key, with a wrong one, or with
// another scheme; the scheme itself is case-insensitive (RFC 9110 §11.1).
// With no key configured the API does not exist (404).
func TestAdminRequiresBearer(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	id := uuid.NewString()
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/api/admin/tenants", nil},
		{http.MethodPost, "/api/admin/tenants", map[string]string{"slug": "sneaky"}},
		{http.MethodGet, "/api/admin/tenants/" + id, nil},
		{http.MethodPatch, "/api/admin/tenants/" + id, map[string]any{"hosts": []string{"sneaky.example"}}},
	}
	creds := map[string]string{
		"none":         "",
		"wrong key":    "Bearer " + randomString(t, len(f.AdminKey)),
		"key prefix":   "Bearer " + f.AdminKey[:len(f.AdminKey)-1],
		"basic scheme": "Basic " + f.AdminKey,
		"no scheme":    f.AdminKey,
		"no token":     "Bearer ",
	}
	for name, auth := range creds {
		for _, call := range calls {
			t.Run(name+"/"+call.method+" "+call.path, func(t *testing.T) {
				c := f.Admin()
				c.Bearer = ""
				r := c.Do(t, call.method, call.path, call.body, WithHeader("Authorization", auth))
				requireError(t, r, http.StatusUnauthorized, "unauthenticated")
				require.Equal(t, `Bearer realm="foyer-admin"`, r.Header.Get("WWW-Authenticate"))
				require.NotContains(t, string(r.Body), f.AdminKey[:8])
			})
		}
	}
	require.Empty(t, f.scanKeys(t, "foyer:slug:sneaky"), "an unauthenticated create must not write")

	for _, auth := range []string{"bearer " + f.AdminKey, "BEARER " + f.AdminKey, "Bearer   " + f.AdminKey} {
		c := f.Admin()
		c.Bearer = ""
		r := c.Do(t, http.MethodGet, "/api/admin/tenants", nil, WithHeader("Authorization", auth))
		require.Equal(t, http.StatusOK, r.Status, "Authorization %q: %s", auth[:9], r.Body)
	}

	off := startFoyer(t, map[string]string{"FOYER_ADMIN_KEY": ""})
	c := off.Admin()
	c.Bearer = ""
	requireError(t, c.Do(t, http.MethodGet, "/api/admin/tenants", nil), http.StatusNotFound, "request.not_found")
	requireError(t, c.Do(t, http.MethodPost, "/api/admin/tenants", map[string]string{"slug": "x1"}), http.StatusNotFound, "request.not_found")
}

// TestTenantsAdminAndIsolation: tenants are created, listed and read through
// the admin API; each is served on its own host, and an interaction belongs to
// the tenant that started it: its cookie, or an X-Tenant-ID naming another
// tenant, is refused with 403 tenant_mismatch and changes nothing.
func TestTenantsAdminAndIsolation(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	admin := f.Admin()

	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	require.NoError(t, uuid.Validate(acme.ID))
	require.Equal(t, "acme", acme.Slug)
	require.Equal(t, []string{"acme.foyer.test"}, acme.Hosts)
	require.WithinDuration(t, time.Now(), acme.CreatedAt, time.Minute)
	require.Equal(t, acme.CreatedAt, acme.UpdatedAt)

	globex := createTenant(t, f, map[string]any{"slug": "globex", "hosts": []string{"Login.Globex.Example"}})
	require.Equal(t, []string{"globex.foyer.test", "login.globex.example"}, globex.Hosts, "hosts are normalised")
	require.NotEqual(t, acme.ID, globex.ID)

	requireError(t, admin.Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "acme"}),
		http.StatusConflict, "tenant.already_exists")
	requireError(t, admin.Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "initech", "hosts": []string{"login.globex.example"}}),
		http.StatusConflict, "tenant.already_exists")
	require.Empty(t, f.scanKeys(t, "foyer:slug:initech"), "a refused create releases what it claimed")
	e := requireError(t, admin.Do(t, http.MethodPost, "/api/admin/tenants", map[string]any{"slug": "Not_A_Slug"}),
		http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "slug", e.Fields(t)[0].Field)

	r := admin.Do(t, http.MethodGet, "/api/admin/tenants", nil)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	var list struct {
		Tenants []tenantBody `json:"tenants"`
	}
	r.JSON(t, &list)
	var slugs []string
	for _, tn := range list.Tenants {
		slugs = append(slugs, tn.Slug)
	}
	require.Equal(t, []string{"demo", "acme", "globex"}, slugs, "oldest first")
	demo := list.Tenants[0]
	require.Equal(t, demo.Settings.MFA, acme.Settings.MFA, "a new tenant has the default settings")
	require.Equal(t, demo.Settings.Password, acme.Settings.Password)
	require.Equal(t, demo.Settings.SignUp, acme.Settings.SignUp)

	got := getTenant(t, f, acme.ID)
	require.Equal(t, acme.ID, got.ID)
	require.Equal(t, acme.Hosts, got.Hosts)
	require.True(t, acme.CreatedAt.Equal(got.CreatedAt))
	requireError(t, admin.Do(t, http.MethodGet, "/api/admin/tenants/"+uuid.NewString(), nil), http.StatusNotFound, "entity.not_found")

	// An interaction on acme.
	ac := f.Tenant("acme")
	id := start(t, ac, "SignIn")
	require.Equal(t, "SignIn", state(t, ac))
	_, doc := f.storedIx(t, id)
	require.Equal(t, acme.ID, doc.TenantID, "the interaction is bound to acme")

	// The custom host serves globex too.
	gc := f.Client("login.globex.example:" + strconv.Itoa(f.Port))
	start(t, gc, "Register")

	// acme's cookie replayed on globex's host.
	thief := f.Tenant("globex")
	thief.SetCookie("foyer_ix", id)
	requireError(t, thief.Do(t, http.MethodGet, "/api/interaction", nil), http.StatusForbidden, "tenant_mismatch")
	requireError(t, thief.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "Register"}),
		http.StatusForbidden, "tenant_mismatch")
	requireError(t, thief.Do(t, http.MethodDelete, "/api/interaction", nil), http.StatusForbidden, "tenant_mismatch")
	r = thief.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "Register"})
	requireError(t, r, http.StatusForbidden, "tenant_mismatch")
	require.Empty(t, r.SetCookies, "a refused restart must not hand out a cookie")
	v, doc := f.storedIx(t, id)
	require.Equal(t, 1, v, "refused calls must not write")
	require.Equal(t, "SignIn", doc.Event)
	require.Equal(t, acme.ID, doc.TenantID)

	// X-Tenant-ID naming another tenant than the host's.
	requireError(t, ac.Do(t, http.MethodGet, "/api/interaction", nil, WithHeader("X-Tenant-ID", globex.ID)),
		http.StatusForbidden, "tenant_mismatch")
	requireError(t, ac.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "Register"}, WithHeader("X-Tenant-ID", globex.ID)),
		http.StatusForbidden, "tenant_mismatch")
	requireError(t, ac.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "Register"}, WithHeader("X-Tenant-ID", "not-a-tenant")),
		http.StatusForbidden, "tenant_mismatch")
	r = ac.Do(t, http.MethodGet, "/api/interaction", nil, WithHeader("X-Tenant-ID", acme.ID))
	require.Equal(t, http.StatusOK, r.Status, "X-Tenant-ID naming the host's own tenant is fine; body %s", r.Body)
	v, _ = f.storedIx(t, id)
	require.Equal(t, 1, v)

	// An Origin of another tenant is cross-site for acme.
	requireError(t, ac.Do(t, http.MethodPut, "/api/interaction/event", map[string]string{"event": "Register"},
		WithHeader("Origin", "http://globex.foyer.test:"+strconv.Itoa(f.Port))),
		http.StatusForbidden, "guard.cross_site_request")
}

// TestAdminPatchTenant: a settings change is validated as a whole: invalid
// values are refused with 400 guard.invalid_input naming every broken field by
// its JSON path, without echoing the value, and nothing changes; a valid
// change merges into the current settings; hosts already taken are 409.
func TestAdminPatchTenant(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	admin := f.Admin()
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	createTenant(t, f, map[string]any{"slug": "globex"})
	path := "/api/admin/tenants/" + acme.ID

	r := admin.Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{
		"mfa":      map[string]any{"policy": "sometimes"},
		"password": map[string]any{"minScore": 9},
	}})
	e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.NotContains(t, string(r.Body), "sometimes", "the submitted value must not be echoed")
	fields := map[string]FieldError{}
	for _, fe := range e.Fields(t) {
		fields[fe.Field] = fe
	}
	require.Contains(t, fields, "settings.mfa.policy", "details.fields %+v", e.Fields(t))
	require.Equal(t, "oneof", fields["settings.mfa.policy"].Rule)
	require.Contains(t, fields, "settings.password.minScore", "details.fields %+v", e.Fields(t))
	require.Equal(t, "max", fields["settings.password.minScore"].Rule)
	require.Equal(t, "4", fields["settings.password.minScore"].Param)

	r = admin.Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{"mfa": map[string]any{"policy": 7}}})
	e = requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "settings.mfa.policy", e.Fields(t)[0].Field, "a wrong type names the field too")

	unchanged := getTenant(t, f, acme.ID)
	require.Equal(t, acme.Settings, unchanged.Settings, "a refused change changes nothing")
	require.True(t, acme.UpdatedAt.Equal(unchanged.UpdatedAt))

	// A valid partial change merges: untouched settings keep their values.
	r = admin.Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{
		"mfa":         map[string]any{"policy": "mandatory"},
		"password":    map[string]any{},
		"displayName": "ACME Corp",
	}})
	require.Equal(t, http.StatusOK, r.Status, "a valid settings change; body %s", r.Body)
	var patched tenantBody
	r.JSON(t, &patched)
	require.Equal(t, "mandatory", patched.Settings.MFA.Policy)
	require.Equal(t, "ACME Corp", patched.Settings.DisplayName)
	require.Equal(t, acme.Settings.Password, patched.Settings.Password, "merge keeps untouched fields")
	require.Equal(t, acme.Settings.SignUp, patched.Settings.SignUp)
	require.True(t, patched.UpdatedAt.After(acme.UpdatedAt))
	require.Equal(t, "mandatory", getTenant(t, f, acme.ID).Settings.MFA.Policy)

	// signInRedirectUri is a path on the tenant's host or an absolute http(s)
	// URL; a protocol-relative "//host" is neither (it would redirect off-site).
	for _, bad := range []string{"//evil.example/", "/\\evil.example", "javascript:alert(1)", "evil.example"} {
		r = admin.Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{"signInRedirectUri": bad}})
		e = requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
		require.Equal(t, "settings.signInRedirectUri", e.Fields(t)[0].Field, "signInRedirectUri %q", bad)
	}

	// Another tenant's host is taken (409); inside the base domain a tenant
	// may only have its own slug's host (400, see TestTenantHostRules).
	createTenant(t, f, map[string]any{"slug": "initech", "hosts": []string{"login.initech.example"}})
	requireError(t, admin.Do(t, http.MethodPatch, path, map[string]any{"hosts": []string{"login.initech.example"}}),
		http.StatusConflict, "tenant.already_exists")
	requireError(t, admin.Do(t, http.MethodPatch, path, map[string]any{"hosts": []string{"globex.foyer.test"}}),
		http.StatusBadRequest, "guard.invalid_input")
	requireError(t, admin.Do(t, http.MethodPatch, "/api/admin/tenants/"+uuid.NewString(), map[string]any{"settings": map[string]any{}}),
		http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodPatch, path, `{"settings":{}}`, WithContentType("text/plain")),
		http.StatusUnsupportedMediaType, "guard.invalid_content_type")

	// Moving acme to a new host: the old one stops serving it at once.
	r = admin.Do(t, http.MethodPatch, path, map[string]any{"hosts": []string{"acme.example"}})
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	requireError(t, f.Tenant("acme").Do(t, http.MethodGet, "/api/interaction", nil), http.StatusNotFound, "tenant.not_found")
	start(t, f.Client("acme.example:"+strconv.Itoa(f.Port)), "SignIn")
}

// TestAdminSettingsNeverNull: arrays in settings stay arrays. A PATCH that
// sends null for one must be refused or leave an array, never store null
// (the spec types them as arrays; hosted pages iterate them).
func TestAdminSettingsNeverNull(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	// signInRedirectUri is set so that the change is otherwise valid.
	r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+acme.ID,
		`{"settings":{"signInRedirectUri":"https://app.acme.example/","origins":null,"signUp":{"identifiers":null}}}`)
	require.False(t, strings.Contains(string(r.Body), "null"), "body %s", r.Body)
	if r.Status == http.StatusBadRequest {
		e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
		require.NotContains(t, e.Fields(t)[0].Field, "signInRedirectUri")
		return
	}
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	got := getTenant(t, f, acme.ID)
	require.NotNil(t, got.Settings.Origins)
	require.NotNil(t, got.Settings.SignUp.Identifiers)
}
