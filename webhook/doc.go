// Package webhook tells a tenant's own endpoints about its users' events,
// in Logto's hook events: PostRegister, PostSignIn, PostResetPassword, and
// User.Mfa.Changed.
//
// Delivery is at least once and survives a Foyer restart:
//
//   - A successful interaction is queued (through a spool, so the request
//     never waits) as an "event" entry of one Redis Stream,
//     foyer:webhooks:{q}, read by the consumer group "foyer".
//   - A dispatcher expands each event into one "delivery" entry per
//     subscribed endpoint, then acknowledges the event.
//   - A delivery that fails stays pending in the group. The dispatcher of
//     any Foyer process claims it again (XPENDING, XCLAIM) once it has been
//     idle for base·2^(n-1) after its n-th attempt, so retries back off
//     exponentially and outlive the process that made them. After
//     MaxAttempts it is given up. Each attempt is written to the endpoint's
//     delivery log (foyer:t:{<tenant>}:hook:<id>:deliveries), which the admin
//     API pages through.
//
// Each request is signed like the SMS webhook: X-Foyer-Signature is
// "sha256=" and the hex HMAC-SHA256 of the exact body under the endpoint's
// secret; the body carries "timestamp" (Unix seconds at sending, also in
// X-Foyer-Timestamp) and "id" (the event id, also in X-Foyer-Delivery, equal
// on every retry). Receivers should refuse a timestamp more than 5 minutes
// from their clock, and ignore an id they have already processed.
//
// Endpoints are dialled through the egress policy, checked at dial time.
package webhook
