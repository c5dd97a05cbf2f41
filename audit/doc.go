// Package audit keeps each tenant's audit trail: sign-in and sign-up
// successes and failures, password resets, MFA changes and admin changes,
// with time, user, client address, user agent, method and result.
//
// The trail is a Redis Stream per tenant (foyer:t:{<tenant>}:audit), in the
// tenant's hash slot, trimmed to the tenant's settings.audit (a number of
// entries and an age). Entries are written through a spool, so a sign-in
// never waits on the audit write and entries made while Redis is away are
// written when it is back. An entry never holds a secret: no password,
// code, token or cookie, only which method was used.
//
// The admin API pages through it newest first:
// GET /api/admin/tenants/{id}/audit-logs?after=<id>&limit=<n>.
package audit
