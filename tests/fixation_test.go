package tests

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdentificationRenewsTheInteractionID: an attacker who plants an
// interaction id in a victim's browser (a cookie set from a sibling
// subdomain, say) must not be able to submit it after the victim signs in.
// Identifying moves the interaction to a new id; the planted one is gone.
func TestIdentificationRenewsTheInteractionID(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	victim := f.Demo()
	const password = "correct horse battery staple"
	signUp(t, victim, "fixated", "", password)
	signOut(t, victim)

	for _, how := range []string{"identifiers", "start"} {
		attacker := f.Demo()
		planted := start(t, attacker, "SignIn")
		victim.SetCookie(ixCookie, planted)
		body := map[string]any{"username": "fixated", "password": password}
		var r *Response
		if how == "start" {
			r = victim.Do(t, http.MethodPut, "/api/interaction", map[string]any{"event": "SignIn", "identifier": body})
		} else {
			r = identify(t, victim, body)
		}
		require.Equal(t, http.StatusNoContent, r.Status, "%s: %s", how, r.Body)
		renewed := victim.Cookie(ixCookie)
		require.Len(t, renewed, 43, "%s: a new interaction cookie", how)
		require.NotEqual(t, planted, renewed, "%s: the planted id must not survive identification", how)
		require.Zero(t, f.Redis.Exists(t.Context(), ixKey(planted)).Val(), "%s: the planted interaction is gone", how)

		requireError(t, attacker.Do(t, http.MethodPost, "/api/interaction/submit", nil), http.StatusBadRequest, "session.not_found")
		require.Empty(t, attacker.Cookie(sessCookie), "%s: the attacker is not signed in", how)
		submitOK(t, victim)
		signOut(t, victim)
	}
}
