package tests

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var events = []string{"SignIn", "Register", "ForgotPassword"}

// TestConcurrentEventChanges: 200 PUT /api/interaction/event with random
// events race with 200 GETs on one interaction. Every answer is 2xx; the
// final event is one that was written; Redis holds one interaction, and its
// version counts every acknowledged write exactly once (no lost update, no
// write applied twice).
func TestConcurrentEventChanges(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	id := start(t, c, "SignIn")

	const writers, readers = 200, 200
	type result struct {
		write  bool
		event  string // written, or read
		status int
		body   string
		err    error
	}
	results := make(chan result, writers+readers)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers + readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			if i%2 == 0 {
				ev := events[rand.IntN(len(events))]
				r, err := c.TryDo(http.MethodPut, "/api/interaction/event", map[string]string{"event": ev})
				if err != nil {
					results <- result{write: true, event: ev, err: err}
					return
				}
				results <- result{write: true, event: ev, status: r.Status, body: string(r.Body)}
				return
			}
			r, err := c.TryDo(http.MethodGet, "/api/interaction", nil)
			if err != nil {
				results <- result{err: err}
				return
			}
			res := result{status: r.Status, body: string(r.Body)}
			if r.Status == http.StatusOK {
				var st struct {
					Event string `json:"event"`
				}
				if err := json.Unmarshal(r.Body, &st); err != nil {
					res.err = err
				}
				res.event = st.Event
			}
			results <- res
		}()
	}
	close(gate)
	wg.Wait()
	close(results)

	written := map[string]bool{"SignIn": true} // the start
	acked := 0
	var failures []string
	for r := range results {
		switch {
		case r.err != nil:
			failures = append(failures, fmt.Sprintf("write=%v: %v", r.write, r.err))
		case r.status < 200 || r.status > 299:
			failures = append(failures, fmt.Sprintf("write=%v: %d %s", r.write, r.status, r.body))
		case r.write:
			require.Equal(t, http.StatusNoContent, r.status)
			acked++
			written[r.event] = true
		default:
			require.Contains(t, events, r.event, "a read saw an event nobody could write")
		}
	}
	require.Empty(t, failures, "%d of %d calls failed:\n%s", len(failures), writers+readers, strings.Join(first(failures, 10), "\n"))

	final := state(t, c)
	require.True(t, written[final], "final event %q was never written (written: %v)", final, written)
	require.Equal(t, []string{ixKey(id)}, f.scanKeys(t, "foyer:ix:*"), "exactly one interaction")
	v, doc := f.storedIx(t, id)
	require.Equal(t, final, doc.Event)
	require.Equal(t, 1+acked, v, "version = 1 (create) + acknowledged writes (%d)", acked)
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }
