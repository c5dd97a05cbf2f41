// Package myaccount is the account API of a signed-in user, under
// /v1/users/me (seeds 000 and 001, JITSudo-style), and the Mailcheap-style
// WebAuthn registration options under /api/v1/webauthn/registration (seed
// 003) that personal access tokens of this API authenticate.
//
// # Authentication
//
// /v1/users/me takes `Authorization: Bearer <access token>`: a user's
// access token from the tenant's OpenID Provider with the audience
// "<tenant origin>/v1" (the `account` scope), verified in process. Anything
// else is 401 `unauthenticated` with a WWW-Authenticate: Bearer challenge.
// /api/v1/webauthn/registration takes HTTP Basic `username:personal access
// token`. Neither is cookie-authenticated, so the CSRF rule of ARCHITECTURE
// §9 does not apply: a browser attaches neither a bearer token nor these
// Basic credentials to a cross-site request by itself. (A browser that
// prompted for Basic credentials may cache them; the one state-changing
// Basic call, verify, takes a JSON body that a cross-site form cannot send
// without a CORS preflight, which Foyer never grants here.)
//
// # Rules
//
//   - Every action is authorized by the tenant's Cedar policies (package
//     policy) after Foyer's own checks; a deny is 403 `policy.denied`.
//   - Removing a factor, new backup codes, a new password and a new personal
//     access token need a recent sign-in: the token's auth_time within the
//     tenant's reauthMaxAge, else 403 `reauthentication_required` with
//     details.maxAge (sign in again, with prompt=login or max_age).
//   - WebAuthn enrolment goes through the enrollment core (package enroll):
//     one pending enrolment per user, kept for the ceremony's timeout. The
//     first second factor of an account comes with ten new backup codes.
package myaccount
