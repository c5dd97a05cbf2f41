package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/flows"
	"github.com/foyer-auth/foyer/tests/authenticator"
)

// flowPassword is the seeded users' password: strong enough for the demo
// tenant's policy.
const flowPassword = "violet-Harbor-kettle-93"

// newFlowBrowser is a visitor of the in-process server's demo tenant,
// driven by the load generator's flow client.
func newFlowBrowser(tb testing.TB, h *hotPath) *flows.Browser {
	tb.Helper()
	hc, err := flows.NewClient(h.url, 4)
	require.NoError(tb, err)
	tb.Cleanup(hc.CloseIdleConnections)
	return flows.NewBrowser(hc, h.url)
}

// TestWholeSignIns runs the flows of cmd/loadflow once each against the
// in-process server: a sign-up that binds an ES256 passkey, a sign-up with
// a password only, a passkey sign-in and a password sign-in, each checked
// to end signed in.
func TestWholeSignIns(t *testing.T) {
	h := newHotPath(t)
	b := newFlowBrowser(t, h)
	ctx := t.Context()
	a := authenticator.New(authenticator.WithAlgorithms(authenticator.AlgES256))
	require.NoError(t, b.SignUp(ctx, "flow_pk", flowPassword, a))
	require.Equal(t, authenticator.AlgES256, a.Credentials()[0].Alg)
	b.Forget()
	require.NoError(t, b.SignUp(ctx, "flow_pw", flowPassword, nil))
	for range 2 {
		b.Forget()
		require.NoError(t, b.PasskeySignIn(ctx, a))
		b.Forget()
		require.NoError(t, b.PasswordSignIn(ctx, "flow_pw", flowPassword))
	}
	b.Forget()
	var failure *flows.Failure
	require.ErrorAs(t, b.PasswordSignIn(ctx, "flow_pw", "not-"+flowPassword), &failure)
	require.Equal(t, flows.Failure{Step: flows.StepIdentify, Status: 422, Code: "session.invalid_credentials"}, *failure)
}

// benchSignIns runs signIn b.N times, each by a new visitor, and reports
// the server's Redis round trips per sign-in beside time and allocations.
// Allocations count both sides of the socket: the client's share (JSON,
// the authenticator's ECDSA signature) is a small part.
func benchSignIns(b *testing.B, h *hotPath, signIn func(context.Context) error) {
	ctx := b.Context()
	if err := signIn(ctx); err != nil { // warm up: tenant cache, Lua scripts
		b.Fatal(err)
	}
	b.ReportAllocs()
	rtt0, n := h.rtt.n.Load(), 0
	for b.Loop() {
		if err := signIn(ctx); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(h.rtt.n.Load()-rtt0)/float64(n), "redis-rtt/op")
}

// BenchmarkPasskeySignIn measures a whole discoverable-passkey sign-in end
// to end, four requests over loopback HTTP with real Redis: start, request
// options, the ES256 assertion as the passkey identifier, submit.
func BenchmarkPasskeySignIn(b *testing.B) {
	h := newHotPath(b)
	br := newFlowBrowser(b, h)
	a := authenticator.New(authenticator.WithAlgorithms(authenticator.AlgES256))
	if err := br.SignUp(b.Context(), "bench_pk", flowPassword, a); err != nil {
		b.Fatal(err)
	}
	benchSignIns(b, h, func(ctx context.Context) error {
		br.Forget()
		return br.PasskeySignIn(ctx, a)
	})
}

// BenchmarkPasswordSignIn measures a whole password sign-in end to end,
// two requests: start with the username and password, submit. Argon2id
// (19 MiB, two passes) is most of its time and of its bytes allocated.
func BenchmarkPasswordSignIn(b *testing.B) {
	h := newHotPath(b)
	br := newFlowBrowser(b, h)
	if err := br.SignUp(b.Context(), "bench_pw", flowPassword, nil); err != nil {
		b.Fatal(err)
	}
	benchSignIns(b, h, func(ctx context.Context) error {
		br.Forget()
		return br.PasswordSignIn(ctx, "bench_pw", flowPassword)
	})
}

// stepCounter is an HTTP transport that records the server's Redis round
// trips for each request it carries (the in-process server runs no
// background writers, so every round trip is the request's own).
type stepCounter struct {
	next  http.RoundTripper
	rtt   *counter
	steps []string
}

func (s *stepCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	before := s.rtt.n.Load()
	resp, err := s.next.RoundTrip(req)
	s.steps = append(s.steps, fmt.Sprintf("%s %s %d", req.Method, req.URL.Path, s.rtt.n.Load()-before))
	return resp, err
}

// TestSignInRoundTrips holds the Redis round trips of each call of a
// sign-in. A call that only reads or changes the interaction costs one or
// two (TestRoundTripsPerCall); identifying also reads the user (the index,
// then the user) and records what it proved, and the identification moves
// the interaction to a new id in the same round trip as the write that
// records it (ids live in different cluster slots: one pipeline creates
// the new document and deletes the old at its version); submit reads the
// user, takes the interaction (deletes it at the version it decided on)
// and creates the login session with its index entry (one pipeline).
func TestSignInRoundTrips(t *testing.T) {
	h := newHotPath(t)
	hc, err := flows.NewClient(h.url, 1)
	require.NoError(t, err)
	sc := &stepCounter{next: hc.Transport, rtt: h.rtt}
	hc.Transport = sc
	b := flows.NewBrowser(hc, h.url)
	ctx := t.Context()
	a := authenticator.New(authenticator.WithAlgorithms(authenticator.AlgES256))
	require.NoError(t, b.SignUp(ctx, "rtt_pk", flowPassword, a))
	b.Forget()
	require.NoError(t, b.SignUp(ctx, "rtt_pw", flowPassword, nil))
	b.Forget()
	require.NoError(t, b.PasswordSignIn(ctx, "rtt_pw", flowPassword)) // warm up: every script loaded
	b.Forget()
	require.NoError(t, b.PasskeySignIn(ctx, a))

	b.Forget()
	sc.steps = nil
	require.NoError(t, b.PasskeySignIn(ctx, a))
	require.Equal(t, []string{
		"PUT /api/interaction 2", // the new-interaction limit, the create
		"POST /api/interaction/verification/webauthn-authentication 2",
		"PUT /api/interaction 5",         // read; the user by handle (2); spend the challenge and move to a new id; the sign count
		"POST /api/interaction/submit 4", // read; the user; take; the login session with its index entry
	}, sc.steps)

	b.Forget()
	sc.steps = nil
	require.NoError(t, b.PasswordSignIn(ctx, "rtt_pw", flowPassword))
	require.Equal(t, []string{
		"PUT /api/interaction 6", // the new-interaction limit; the user (2); the attempt limits; their release; the create
		"POST /api/interaction/submit 4",
	}, sc.steps)
}
