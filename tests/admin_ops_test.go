package tests

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/connector/smtptest"
)

// TestConcurrentTenantUpdatesConflict: tenant updates are compare-and-swap.
// Sixteen PATCHes based on one ETag race: exactly one wins, every other
// answers 409 tenant.conflict and writes nothing; a PATCH with a stale
// If-Match is refused the same way. Without If-Match, concurrent PATCHes
// each answer 200 or 409, and the stored tenant is one that a 200 returned.
func TestConcurrentTenantUpdatesConflict(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	tn := createTenant(t, f, map[string]any{"slug": "cas"})
	path := "/api/admin/tenants/" + tn.ID
	r := f.Admin().Do(t, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, r.Status)
	etag := r.Header.Get("ETag")
	require.NotEmpty(t, etag)

	race := func(opts ...Opt) []*Response {
		out := make([]*Response, 16)
		var wg sync.WaitGroup
		for i := range out {
			wg.Go(func() {
				var err error
				out[i], err = f.Admin().TryDo(http.MethodPatch, path, map[string]any{"settings": map[string]any{"displayName": "writer " + string(rune('a'+i))}}, opts...)
				require.NoError(t, err)
			})
		}
		wg.Wait()
		return out
	}
	won := ""
	for _, r := range race(WithHeader("If-Match", etag)) {
		if r.Status == http.StatusOK {
			require.Empty(t, won, "two updates based on one version both won")
			var body tenantBody
			r.JSON(t, &body)
			won = body.Settings.DisplayName
			continue
		}
		requireError(t, r, http.StatusConflict, "tenant.conflict")
	}
	require.NotEmpty(t, won)
	require.Equal(t, won, getTenant(t, f, tn.ID).Settings.DisplayName)
	requireError(t, f.Admin().Do(t, http.MethodPatch, path, map[string]any{"settings": map[string]any{"displayName": "stale"}}, WithHeader("If-Match", etag)),
		http.StatusConflict, "tenant.conflict")

	names := map[string]bool{}
	for _, r := range race() {
		if r.Status == http.StatusOK {
			var body tenantBody
			r.JSON(t, &body)
			names[body.Settings.DisplayName] = true
			continue
		}
		requireError(t, r, http.StatusConflict, "tenant.conflict")
	}
	require.NotEmpty(t, names)
	require.True(t, names[getTenant(t, f, tn.ID).Settings.DisplayName], "the stored tenant is one an update answered")
}

type adminUser struct {
	ID           string `json:"id"`
	Username     string `json:"username"`
	PrimaryEmail string `json:"primaryEmail"`
	HasPassword  bool   `json:"hasPassword"`
	Suspended    bool   `json:"suspended"`
	Invited      *bool  `json:"invited"`
	MFA          struct {
		TOTP bool `json:"totp"`
	} `json:"mfa"`
}

type userList struct {
	Users []adminUser `json:"users"`
	Next  string      `json:"next"`
}

// TestAdminUsers: an admin creates users with a password or an invitation,
// pages and searches them, suspends one (its sessions end and it cannot
// sign in), and deletes one with every index, so its identifiers are free.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	mail := smtptest.Start(t)
	c := mailTenant(t, f, "corp", mail, nil)
	tid := tenantID(t, f, "corp")
	base := "/api/admin/tenants/" + tid + "/users"
	admin := f.Admin()

	r := admin.Do(t, http.MethodPost, base, map[string]any{"username": "ada", "primaryEmail": "Ada@Corp.test", "password": strongPassword})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var ada adminUser
	r.JSON(t, &ada)
	require.True(t, ada.HasPassword)
	require.Nil(t, ada.Invited)
	require.Equal(t, "ada@corp.test", ada.PrimaryEmail)
	require.NotContains(t, string(r.Body), "argon2")

	r = admin.Do(t, http.MethodPost, base, map[string]any{"primaryEmail": "bo@corp.test", "invite": true})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	var bo adminUser
	r.JSON(t, &bo)
	require.False(t, bo.HasPassword)
	require.NotNil(t, bo.Invited)
	require.True(t, *bo.Invited)
	m := mail.Next(t)
	require.Equal(t, []string{"bo@corp.test"}, m.To)
	require.Contains(t, m.TextBody, "Forgot password")

	for _, tt := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"username": "ada", "password": strongPassword}, http.StatusUnprocessableEntity, "user.username_already_in_use"},
		{map[string]any{"username": "cy", "password": "short"}, http.StatusUnprocessableEntity, "password.rejected"},
		{map[string]any{"username": "cy"}, http.StatusBadRequest, "guard.invalid_input"},
		{map[string]any{"username": "cy", "password": strongPassword, "invite": true}, http.StatusBadRequest, "guard.invalid_input"},
		{map[string]any{"password": strongPassword}, http.StatusBadRequest, "guard.invalid_input"},
		{map[string]any{"username": "cy", "invite": true}, http.StatusBadRequest, "guard.invalid_input"},
	} {
		requireError(t, admin.Do(t, http.MethodPost, base, tt.body), tt.status, tt.code)
	}
	for _, name := range []string{"cy", "dee", "eve"} {
		require.Equal(t, http.StatusCreated, admin.Do(t, http.MethodPost, base, map[string]any{"username": name, "password": strongPassword}).Status)
	}

	// Paging, oldest first, and search.
	var seen []string
	after := ""
	for range 10 {
		r = admin.Do(t, http.MethodGet, base+"?limit=2&after="+after, nil)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		var page userList
		r.JSON(t, &page)
		for _, u := range page.Users {
			seen = append(seen, u.Username+u.PrimaryEmail)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	require.Equal(t, []string{"adaada@corp.test", "bo@corp.test", "cy", "dee", "eve"}, seen)
	var found userList
	admin.Do(t, http.MethodGet, base+"?search=CORP.test", nil).JSON(t, &found)
	require.Len(t, found.Users, 2)
	requireError(t, admin.Do(t, http.MethodGet, base+"?limit=0", nil), http.StatusBadRequest, "guard.invalid_input")
	requireError(t, admin.Do(t, http.MethodGet, base+"?after=nonsense", nil), http.StatusBadRequest, "guard.invalid_input")
	requireError(t, admin.Do(t, http.MethodGet, "/api/admin/tenants/00000000-0000-4000-8000-000000000000/users", nil), http.StatusNotFound, "entity.not_found")

	// Suspend: signed out everywhere, and no new sign-in.
	signIn(t, c, "username", "ada", strongPassword)
	submitOK(t, c)
	r = admin.Do(t, http.MethodPatch, base+"/"+ada.ID, map[string]any{"suspended": true})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	requireError(t, c.Do(t, http.MethodGet, "/api/session", nil), http.StatusUnauthorized, "session.unauthorized")
	require.Equal(t, http.StatusNoContent, signIn(t, c, "username", "ada", strongPassword).Status)
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusUnauthorized, "user.suspended")
	require.Equal(t, http.StatusOK, admin.Do(t, http.MethodPatch, base+"/"+ada.ID, map[string]any{"suspended": false}).Status)
	submitOK(t, c)
	var got adminUser
	admin.Do(t, http.MethodGet, base+"/"+ada.ID, nil).JSON(t, &got)
	require.False(t, got.Suspended)

	// Delete: every key of the user goes, and its identifiers are free again.
	require.Equal(t, http.StatusNoContent, admin.Do(t, http.MethodDelete, base+"/"+ada.ID, nil).Status)
	requireError(t, admin.Do(t, http.MethodGet, base+"/"+ada.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, admin.Do(t, http.MethodDelete, base+"/"+ada.ID, nil), http.StatusNotFound, "entity.not_found")
	requireError(t, c.Do(t, http.MethodGet, "/api/session", nil), http.StatusUnauthorized, "session.unauthorized")
	for _, k := range f.scanKeys(t, "foyer:t:{"+tid+"}:*") {
		require.NotContains(t, k, ada.ID)
		if strings.Contains(k, ":idx:") {
			require.NotEqual(t, ada.ID, f.Redis.Get(t.Context(), k).Val(), "index %s still names the deleted user", k)
		}
	}
	require.Zero(t, f.Redis.ZScore(t.Context(), "foyer:t:{"+tid+"}:users", ada.ID).Val())
	r = admin.Do(t, http.MethodPost, base, map[string]any{"username": "ADA", "primaryEmail": "ada@corp.test", "password": strongPassword})
	require.Equal(t, http.StatusCreated, r.Status, "the deleted user's identifiers are free: %s", r.Body)
}

type auditPage struct {
	Entries []struct {
		ID        string `json:"id"`
		Actor     string `json:"actor"`
		Action    string `json:"action"`
		Result    string `json:"result"`
		UserID    string `json:"userId"`
		IP        string `json:"ip"`
		UserAgent string `json:"userAgent"`
		Method    string `json:"method"`
		Code      string `json:"code"`
	} `json:"entries"`
	Next string `json:"next"`
}

// TestAuditTrailOfAFlow: a sign-up, a failed and a good sign-in with a
// bound TOTP, and an admin change leave entries with user, address, user
// agent, method and result, newest first, paged by after; nothing secret.
func TestAuditTrailOfAFlow(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := passkeyTenant(t, f, "aud", nil) // MFA "prompt"
	tid := tenantID(t, f, "aud")
	ua := WithHeader("User-Agent", "AuditBrowser/1.0")
	start(t, c, "Register")
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "ivy", "password": strongPassword}).Status)
	require.Equal(t, http.StatusNoContent, c.Do(t, http.MethodPut, "/api/interaction/mfa-skipped", nil).Status)
	require.Equal(t, http.StatusOK, c.Do(t, http.MethodPost, "/api/interaction/submit", nil, ua).Status)
	signOut(t, c)
	start(t, c, "SignIn")
	requireError(t, c.Do(t, http.MethodPatch, "/api/interaction/identifiers", map[string]any{"username": "ivy", "password": "wrong horse battery 2"}, ua),
		http.StatusUnprocessableEntity, "session.invalid_credentials")
	require.Equal(t, http.StatusNoContent, identify(t, c, map[string]any{"username": "ivy", "password": strongPassword}).Status)
	secret := bindTOTP(t, c)
	submitOK(t, c)
	users := "/api/admin/tenants/" + tid + "/users"
	var list userList
	f.Admin().Do(t, http.MethodGet, users, nil).JSON(t, &list)
	require.Len(t, list.Users, 1)
	require.True(t, list.Users[0].MFA.TOTP)
	uid := list.Users[0].ID
	require.Equal(t, http.StatusOK, f.Admin().Do(t, http.MethodPatch, users+"/"+uid, map[string]any{"suspended": true}).Status)

	want := []string{"admin Admin.User.Suspend success", "user MfaChange success totp", "user SignIn success password",
		"user SignIn failure password session.invalid_credentials", "user Register success password"}
	var got []string
	var page auditPage
	require.Eventually(t, func() bool {
		f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/audit-logs", nil).JSON(t, &page)
		return len(page.Entries) == len(want)
	}, 5e9, 2e7, "audit entries written through the spool")
	after := ""
	for range 5 {
		var p auditPage
		f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/audit-logs?limit=2&after="+after, nil).JSON(t, &p)
		for _, e := range p.Entries {
			line := strings.TrimSpace(strings.Join([]string{e.Actor, e.Action, e.Result, e.Method, e.Code}, " "))
			got = append(got, strings.Join(strings.Fields(line), " "))
			require.Equal(t, uid, e.UserID, "%+v", e)
			require.Equal(t, "127.0.0.1", e.IP)
			if e.Action == "Register" || e.Code != "" {
				require.Equal(t, "AuditBrowser/1.0", e.UserAgent)
			}
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	require.Equal(t, want, got)
	requireError(t, f.Admin().Do(t, http.MethodGet, "/api/admin/tenants/"+tid+"/audit-logs?after=x", nil), http.StatusBadRequest, "guard.invalid_input")
	requireNoSecretInRedis(t, f, secret, strongPassword)
}
