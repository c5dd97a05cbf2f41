package tests

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// raceRuns is how many times each race below is run: a lost update that
// shows in one run of twenty must not slip through.
const raceRuns = 50

// race sends every request at once, after a gate, and returns the answers
// in the order given.
func race(t *testing.T, c *Client, reqs ...func() (*Response, error)) []*Response {
	t.Helper()
	out := make([]*Response, len(reqs))
	errs := make([]error, len(reqs))
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i, do := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i], errs[i] = do()
		}()
	}
	close(gate)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return out
}

func patchProfile(c *Client, body map[string]any) func() (*Response, error) {
	return func() (*Response, error) {
		return c.TryDo(http.MethodPatch, "/api/interaction/profile", body)
	}
}

// TestConcurrentProfilePatchesBothLand: two PATCH /api/interaction/profile
// of different fields race on one interaction. Both are acknowledged, so
// both fields must be there afterwards, every time.
func TestConcurrentProfilePatchesBothLand(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	for i := range raceRuns {
		start(t, c, "Register")
		user := fmt.Sprintf("racer%d", i)
		email := fmt.Sprintf("racer%d@example.com", i)
		second := map[string]any{"email": email}
		if i%2 == 1 {
			// Hashing a password takes tens of milliseconds between the
			// read and the write: the widest window there is.
			second = map[string]any{"password": "correct horse battery staple"}
		}
		rs := race(t, c, patchProfile(c, map[string]any{"username": user}), patchProfile(c, second))
		for _, r := range rs {
			require.Equal(t, http.StatusNoContent, r.Status, "run %d: %s", i, r.Body)
		}
		var st struct {
			Profile struct {
				Username, Email string
				PasswordSet     bool `json:"passwordSet"`
			} `json:"profile"`
		}
		c.Do(t, http.MethodGet, "/api/interaction", nil).JSON(t, &st)
		require.Equal(t, user, st.Profile.Username, "run %d: the username write was lost", i)
		if i%2 == 1 {
			require.True(t, st.Profile.PasswordSet, "run %d: the password write was lost", i)
		} else {
			require.Equal(t, email, st.Profile.Email, "run %d: the email write was lost", i)
		}
	}
}

// TestParallelSubmitsYieldOneSession: ten parallel submits of one finished
// interaction give exactly one success; the others find the interaction
// gone (400 session.not_found), and Redis holds one new login session.
func TestParallelSubmitsYieldOneSession(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	const password = "correct horse battery staple"
	signUp(t, c, "submitter", "", password)
	signOut(t, c)
	submitN := func(n int) []*Response {
		reqs := make([]func() (*Response, error), n)
		for i := range reqs {
			reqs[i] = func() (*Response, error) { return c.TryDo(http.MethodPost, "/api/interaction/submit", nil) }
		}
		return race(t, c, reqs...)
	}
	check := func(run int, rs []*Response) {
		t.Helper()
		ok := 0
		for _, r := range rs {
			if r.Status == http.StatusOK {
				ok++
				continue
			}
			requireError(t, r, http.StatusBadRequest, "session.not_found")
		}
		require.Equal(t, 1, ok, "run %d: successful submits", run)
	}
	for run := range raceRuns {
		r := signIn(t, c, "username", "submitter", password)
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		check(run, submitN(10))
		// The one new session replaced the one the browser held before.
		require.Len(t, f.scanKeys(t, "foyer:sess:*"), 1, "run %d: one login session", run)
		require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "run %d: the interaction is gone", run)
	}
	// Register: one user, and no misleading "username in use" answers.
	for run := range 5 {
		start(t, c, "Register")
		r := c.Do(t, http.MethodPatch, "/api/interaction/profile",
			map[string]any{"username": fmt.Sprintf("parallel%d", run), "password": password})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
		check(run, submitN(10))
	}
}

// TestFailedSubmitKeepsInteraction: a submit takes the interaction before
// it creates the user; when the create fails (two sign-ups chose the same
// username, and the other one finished first), the interaction is put back
// one version on, so the user picks another name and finishes, with the
// same cookie.
func TestFailedSubmitKeepsInteraction(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	const password = "correct horse battery staple"
	first, second := f.Demo(), f.Demo()
	var id string
	for _, c := range []*Client{first, second} {
		id = start(t, c, "Register")
		r := c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "twin", "password": password})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	}
	submitOK(t, first)
	v, _ := f.storedIx(t, id)

	requireError(t, submit(t, second), http.StatusUnprocessableEntity, "user.username_already_in_use")
	after, doc := f.storedIx(t, id)
	require.Equal(t, v+1, after, "put back one version on")
	require.Equal(t, "Register", doc.Event)
	ttl, err := f.Redis.PTTL(t.Context(), ixKey(id)).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 50*time.Minute, "put back with the lifetime it had")

	r := second.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "twin2"})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	submitOK(t, second)
	username, _ := sessionInfo(t, second)
	require.Equal(t, "twin2", username)
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "both interactions are done")
}
