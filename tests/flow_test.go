package tests

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

const strongPassword = "violet-Harbor-kettle-93"

// fullState is the InteractionState schema.
type fullState struct {
	Event               string `json:"event"`
	Identified          bool   `json:"identified"`
	VerifiedIdentifiers []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"verifiedIdentifiers"`
	Profile struct {
		Username    string `json:"username"`
		PasswordSet bool   `json:"passwordSet"`
	} `json:"profile"`
	Missing []string `json:"missing"`
}

func fullStateOf(t *testing.T, c *Client) fullState {
	t.Helper()
	r := c.Do(t, http.MethodGet, "/api/interaction", nil)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	var st fullState
	r.JSON(t, &st)
	return st
}

// submit posts /api/interaction/submit as a same-origin SPA does: no body,
// but the JSON content type every state-changing call needs.
func submit(t *testing.T, c *Client) *Response {
	t.Helper()
	return c.Do(t, http.MethodPost, "/api/interaction/submit", nil, WithContentType("application/json"))
}

func sessionInfo(t *testing.T, c *Client) (username string, methods []string) {
	t.Helper()
	r := c.Do(t, http.MethodGet, "/api/session", nil)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	var info struct {
		User struct {
			Username string `json:"username"`
		} `json:"user"`
		Methods []string `json:"methods"`
	}
	r.JSON(t, &info)
	return info.User.Username, info.Methods
}

// TestRegisterThenSignIn is the story of a user: sign up with a username and
// a password (told what is missing, refused a weak password, never seeing it
// echoed or stored in clear), get a login session under a new cookie, sign
// out, and sign in again, where an unknown user and a wrong password look
// the same.
func TestRegisterThenSignIn(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	ixID := start(t, c, "Register")

	st := fullStateOf(t, c)
	require.Equal(t, "Register", st.Event)
	require.False(t, st.Identified)
	require.ElementsMatch(t, []string{"username", "password"}, st.Missing)

	r := submit(t, c)
	e := requireError(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
	var missing struct {
		MissingProfile []string `json:"missingProfile"`
	}
	require.NoError(t, json.Unmarshal(e.Details, &missing))
	require.ElementsMatch(t, []string{"username", "password"}, missing.MissingProfile)

	r = c.Do(t, http.MethodPut, "/api/interaction/profile", map[string]string{"username": "alice", "password": "Tiny1"})
	e = requireError(t, r, http.StatusUnprocessableEntity, "password.rejected")
	require.NotContains(t, string(r.Body), "Tiny1")
	require.JSONEq(t, `{"issues":[{"code":"password_rejected.too_short","param":8}]}`, string(e.Details))

	r = c.Do(t, http.MethodPut, "/api/interaction/profile", map[string]string{"username": "not a name"})
	e = requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "username", e.Fields(t)[0].Field)

	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]string{"username": "alice"})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]string{"password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	st = fullStateOf(t, c)
	require.Equal(t, "alice", st.Profile.Username, "PATCH merges")
	require.True(t, st.Profile.PasswordSet)
	require.Empty(t, st.Missing)
	raw, err := f.Redis.HGet(t.Context(), ixKey(ixID), "doc").Result()
	require.NoError(t, err)
	require.NotContains(t, raw, strongPassword, "the interaction must never hold the password in clear")

	r = c.Do(t, http.MethodDelete, "/api/interaction/profile", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.ElementsMatch(t, []string{"username", "password"}, fullStateOf(t, c).Missing)
	r = c.Do(t, http.MethodPut, "/api/interaction/profile", map[string]string{"username": "alice", "password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)

	r = submit(t, c)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	require.JSONEq(t, `{"redirectTo":"/"}`, string(r.Body))
	require.Empty(t, c.Cookie("foyer_ix"), "submit clears the interaction cookie")
	sess := r.Cookie("foyer_session")
	require.NotNil(t, sess, "Set-Cookie %q", r.Header.Values("Set-Cookie"))
	require.True(t, sess.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, sess.SameSite)
	require.Equal(t, "/", sess.Path)
	require.NotEqual(t, ixID, sess.Value, "the login session gets a new id")
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "submit deletes the interaction")
	require.Equal(t, []string{"foyer:sess:{" + sess.Value + "}"}, f.scanKeys(t, "foyer:sess:*"))

	name, methods := sessionInfo(t, c)
	require.Equal(t, "alice", name)
	require.Equal(t, []string{"password"}, methods)

	// The username is taken now.
	other := f.Demo()
	start(t, other, "Register")
	requireError(t, other.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]string{"username": "alice"}),
		http.StatusUnprocessableEntity, "user.username_already_in_use")

	// Sign out, twice.
	r = c.Do(t, http.MethodDelete, "/api/session", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	require.Empty(t, c.Cookie("foyer_session"))
	require.Empty(t, f.scanKeys(t, "foyer:sess:*"))
	requireError(t, c.Do(t, http.MethodGet, "/api/session", nil), http.StatusUnauthorized, "session.unauthorized")
	r = c.Do(t, http.MethodDelete, "/api/session", nil)
	require.Equal(t, http.StatusNoContent, r.Status, "signing out again is fine; body %s", r.Body)

	// Sign in: an unknown user and a wrong password get the same answer.
	start(t, c, "SignIn")
	requireError(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
	wrong := c.Do(t, http.MethodPatch, "/api/interaction/identifiers", map[string]string{"username": "alice", "password": "not-" + strongPassword})
	unknown := c.Do(t, http.MethodPatch, "/api/interaction/identifiers", map[string]string{"username": "mallory", "password": strongPassword})
	requireError(t, wrong, http.StatusUnprocessableEntity, "session.invalid_credentials")
	requireError(t, unknown, http.StatusUnprocessableEntity, "session.invalid_credentials")
	require.Equal(t, string(wrong.Body), string(unknown.Body), "no enumeration")
	require.False(t, fullStateOf(t, c).Identified)

	r = c.Do(t, http.MethodPatch, "/api/interaction/identifiers", map[string]string{"username": "Alice", "password": strongPassword})
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
	st = fullStateOf(t, c)
	require.True(t, st.Identified)
	require.Len(t, st.VerifiedIdentifiers, 1)
	require.Equal(t, "username", st.VerifiedIdentifiers[0].Type)
	require.Empty(t, st.Missing)

	r = submit(t, c)
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	require.NotEqual(t, sess.Value, c.Cookie("foyer_session"), "each sign-in gets a new session id")
	name, _ = sessionInfo(t, c)
	require.Equal(t, "alice", name)
}

// TestForgotPasswordIsNotASignIn: a password cannot identify a
// ForgotPassword interaction (400), and submitting one without an identifier
// proven by code signs nobody in (404).
func TestForgotPasswordIsNotASignIn(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "carol", "", strongPassword)
	c := f.Demo()
	start(t, c, "ForgotPassword")
	requireError(t, c.Do(t, http.MethodPatch, "/api/interaction/identifiers", map[string]string{"username": "carol", "password": strongPassword}),
		http.StatusBadRequest, "session.not_supported_for_forgot_password")
	requireError(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
	require.Empty(t, c.Cookie("foyer_session"))
}
