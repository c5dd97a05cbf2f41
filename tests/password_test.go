package tests

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRegisterSignOutSignInAgain(t *testing.T) {
	f := startFoyer(t, nil)
	c := f.Demo()

	r := c.Do(t, http.MethodGet, "/api/session", nil)
	requireError(t, r, http.StatusUnauthorized, "session.unauthorized")

	ix := start(t, c, "Register")
	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{
		"username": "Alice", "email": "Alice@Example.com", "password": strongPassword,
	})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	var st struct {
		Event   string   `json:"event"`
		Missing []string `json:"missing"`
		Profile struct {
			Username    string `json:"username"`
			PasswordSet bool   `json:"passwordSet"`
		} `json:"profile"`
	}
	c.Do(t, http.MethodGet, "/api/interaction", nil).JSON(t, &st)
	require.Equal(t, "Register", st.Event)
	require.Empty(t, st.Missing)
	require.True(t, st.Profile.PasswordSet)

	sid := submitOK(t, c)
	n, err := f.Redis.Exists(t.Context(), ixKey(ix)).Result()
	require.NoError(t, err)
	require.Zero(t, n, "the interaction must be gone after submit")

	var sess struct {
		User struct {
			ID           string `json:"id"`
			Username     string `json:"username"`
			PrimaryEmail string `json:"primaryEmail"`
		} `json:"user"`
		AuthTime time.Time `json:"authTime"`
		Methods  []string  `json:"methods"`
	}
	r = c.Do(t, http.MethodGet, "/api/session", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r.JSON(t, &sess)
	require.Equal(t, "Alice", sess.User.Username)
	require.Equal(t, "alice@example.com", sess.User.PrimaryEmail)
	require.Equal(t, []string{"password"}, sess.Methods)
	require.WithinDuration(t, time.Now(), sess.AuthTime, time.Minute)

	signOut(t, c)
	n, err = f.Redis.Exists(t.Context(), "foyer:sess:{"+sid+"}").Result()
	require.NoError(t, err)
	require.Zero(t, n, "sign-out must delete the login session")
	requireError(t, c.Do(t, http.MethodGet, "/api/session", nil), http.StatusUnauthorized, "session.unauthorized")

	for _, id := range []struct{ kind, value string }{{"username", "alice"}, {"email", "ALICE@example.com"}} {
		r = signIn(t, c, id.kind, id.value, strongPassword)
		require.Equal(t, http.StatusNoContent, r.Status, "sign in by %s: %s", id.kind, r.Body)
		submitOK(t, c)
		r = c.Do(t, http.MethodGet, "/api/session", nil)
		require.Equal(t, http.StatusOK, r.Status)
		r.JSON(t, &sess)
		require.Equal(t, "Alice", sess.User.Username)
		signOut(t, c)
	}
	requireNoSecretInRedis(t, f, strongPassword)
}

func TestSignUpRules(t *testing.T) {
	f := startFoyer(t, nil)
	c := f.Demo()
	start(t, c, "Register")

	r := c.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	e := requireError(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
	require.JSONEq(t, `{"missingProfile":["username","password"]}`, string(e.Details))

	for _, tt := range []struct{ password, issue string }{
		{"Xq7!zp", "password_rejected.too_short"},
		{"password1", "password_rejected.too_guessable"},
		{"bob-the-builder", "password_rejected.too_guessable"},
	} {
		r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "bob", "password": tt.password})
		e = requireError(t, r, http.StatusUnprocessableEntity, "password.rejected")
		require.Contains(t, string(e.Details), tt.issue, "password %q", tt.password)
		require.NotContains(t, string(r.Body), tt.password, "the answer must not echo the password")
	}

	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "9lives"})
	e = requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
	require.Equal(t, "username", e.Fields(t)[0].Field)

	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "bob"})
	require.Equal(t, http.StatusNoContent, r.Status)
	r = c.Do(t, http.MethodPost, "/api/interaction/submit", nil)
	e = requireError(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
	require.JSONEq(t, `{"missingProfile":["password"]}`, string(e.Details))

	// Taken identifiers are refused with Logto's codes, case-insensitively.
	signUp(t, f.Demo(), "carol", "carol@example.com", strongPassword)
	start(t, c, "Register")
	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"username": "CAROL"})
	requireError(t, r, http.StatusUnprocessableEntity, "user.username_already_in_use")
	r = c.Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{"email": "Carol@example.com"})
	requireError(t, r, http.StatusUnprocessableEntity, "user.email_already_in_use")

	// Sign-in before identifying: submit says what is missing.
	start(t, c, "SignIn")
	requireError(t, c.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusNotFound, "session.identifier_not_found")
}

// Unknown users and wrong passwords must be indistinguishable: same status,
// code and message, and about the same time (a dummy hash is verified for
// unknown users).
func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	f := startFoyer(t, nil)
	const users, tries = 4, 5 // 5 tries per identifier stay under its limit
	for i := range users {
		signUp(t, f.Demo(), "user"+strconv.Itoa(i), "", strongPassword)
	}
	try := func(name string, i int) (time.Duration, Envelope) {
		c := f.Demo()
		start(t, c, "SignIn")
		t0 := time.Now()
		r := identify(t, c, map[string]any{"username": name, "password": "wrong password " + strconv.Itoa(i)})
		d := time.Since(t0)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s", r.Body)
		return d, r.Error(t)
	}
	// Alternate the two kinds so that machine noise hits both alike.
	var wrongD, unknownD []time.Duration
	var wrongE, unknownE []Envelope
	for i := range users * tries {
		// Which of a pair runs first alternates too: the first of two
		// back-to-back requests is measurably slower here.
		wrong := func() {
			d, e := try("user"+strconv.Itoa(i%users), i)
			wrongD, wrongE = append(wrongD, d), append(wrongE, e)
		}
		unknown := func() {
			d, e := try("nobody"+strconv.Itoa(i), i)
			unknownD, unknownE = append(unknownD, d), append(unknownE, e)
		}
		if i%2 == 0 {
			wrong()
			unknown()
		} else {
			unknown()
			wrong()
		}
	}
	for i := range wrongE {
		require.Equal(t, wrongE[0], wrongE[i])
		require.Equal(t, wrongE[0], unknownE[i], "unknown user and wrong password must answer alike")
	}
	require.Equal(t, "session.invalid_credentials", wrongE[0].Code)
	// Each wrong-password try ran right next to its unknown-user twin, so
	// the machine's load (other test packages share its cores) hits a pair
	// alike, and which ran first alternates: the geometric mean of the
	// pairs' ratios is what the two paths cost apart from that noise.
	var logSum float64
	for i := range wrongD {
		logSum += math.Log(float64(wrongD[i]) / float64(unknownD[i]))
	}
	ratio := math.Exp(logSum / float64(len(wrongD)))
	t.Logf("median wrong password %v, unknown user %v, mean ratio of pairs %.2f", median(wrongD), median(unknownD), ratio)
	require.InDelta(t, 1.0, ratio, 0.25, "a wrong password and an unknown user must cost alike (within 25%%)")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func TestSixthWrongPasswordIsLimited(t *testing.T) {
	f := startFoyer(t, nil)
	signUp(t, f.Demo(), "dave", "", strongPassword)
	signUp(t, f.Demo(), "erin", "", strongPassword)

	c := f.Demo()
	for i := range 5 {
		r := signIn(t, c, "username", "dave", "not the password "+strconv.Itoa(i))
		requireError(t, r, http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	r := signIn(t, c, "username", "dave", "not the password 6")
	requireError(t, r, http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")
	retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
	require.True(t, retry > 0 && retry <= 15*60, "Retry-After %d", retry)

	// Blocked even with the right password, and for any spelling of it.
	requireError(t, signIn(t, c, "username", "DAVE", strongPassword), http.StatusTooManyRequests, "session.verification_blocked_too_many_attempts")

	// Another identifier is unaffected.
	r = signIn(t, c, "username", "erin", strongPassword)
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	submitOK(t, c)
}

func TestConcurrentRegistrationsOfOneUsername(t *testing.T) {
	f := startFoyer(t, nil)
	const n = 50
	clients := make([]*Client, n)
	for i := range clients {
		clients[i] = f.Demo()
		start(t, clients[i], "Register")
		r := clients[i].Do(t, http.MethodPatch, "/api/interaction/profile", map[string]any{
			"username": "frank", "password": fmt.Sprintf("%s %d", strongPassword, i),
		})
		require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	}
	var wg sync.WaitGroup
	statuses := make([]*Response, n)
	for i, c := range clients {
		wg.Go(func() {
			r, err := c.TryDo(http.MethodPost, "/api/interaction/submit", nil)
			if err == nil {
				statuses[i] = r
			}
		})
	}
	wg.Wait()
	created := 0
	for _, r := range statuses {
		require.NotNil(t, r)
		if r.Status == http.StatusOK {
			created++
			continue
		}
		requireError(t, r, http.StatusUnprocessableEntity, "user.username_already_in_use")
	}
	require.Equal(t, 1, created, "exactly one registration must win")
	require.Len(t, f.scanKeys(t, "foyer:t:*:user:*"), 1, "exactly one user in Redis")
	require.Len(t, f.scanKeys(t, "foyer:t:*:idx:username:*"), 1)
}
