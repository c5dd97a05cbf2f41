// Package flows drives whole sign-ups and sign-ins through Foyer's
// interaction API (/api/interaction) as a hosted page's front end does:
// one Browser per visitor with its own cookies, the Origin and
// Sec-Fetch-Site headers of a same-origin page, JSON bodies, and the
// software authenticator of tests/authenticator for the WebAuthn
// ceremonies.
//
// It is the client of the load generator (cmd/loadflow) and of the
// in-process flow benchmarks (cmd/foyer), so that both measure the same
// requests. Every step checks the server's answer; a refusal is a *Failure
// naming the step, the status and the error code, so that a load run can
// count failures by cause. A sign-in succeeds only when submit answers 200
// with a redirect, sets a new login-session cookie and clears the
// interaction cookie.
//
// Requests go to 127.0.0.1 only (NewClient), whatever the origin's host
// name resolves to: a load run never leaves the machine.
package flows
