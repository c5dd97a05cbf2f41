// Package oidc is Foyer's OpenID Provider: one github.com/zitadel/oidc/v3
// provider serving every tenant, mounted at /oidc, with its storage on
// Redis and the interaction API as its login step.
//
// # Tenancy
//
// The tenant is the one Foyer's host middleware resolved; the issuer is
// "<scheme>://<Host>/oidc" of that request. Every key this package writes
// lives under "foyer:t:{<tenant id>}:oidc:" (one cluster slot per tenant),
// so a client id, code, grant or key of one tenant is simply absent on
// another tenant's host. Access tokens are JWTs signed with the tenant's own
// keys and carry a "tenant" claim, checked on verification; codes and refresh
// tokens are random and only mean something under their tenant's keys.
//
// # The login step
//
// GET /oidc/auth validates the request with the library, then either
// answers at once (single sign-on from the login session, or prompt=none's
// login_required) or stores the request and starts an interaction bound to
// it (the same document and cookie as /api/interaction), answering 303 to
// /sign-in. Submit calls Provider.Finish, which records who signed in and
// returns the callback URL; the callback mints the code.
//
// # Tokens and their invariants
//
//   - A code is 256 random bits, stored under its SHA-256 for 60 s and
//     exchanged at most once: the exchange is one Lua script that marks the
//     code used and creates the grant. A second exchange finds the mark and
//     revokes that grant (RFC 6749 §4.1.2).
//   - A grant is what one code exchange authorised (user, client, scopes).
//     Its refresh token is "<grant id>.<secret>"; the grant keeps the SHA-256
//     of the current secret and of the last few rotated ones. Rotation is a
//     compare-and-swap in Lua; presenting a rotated secret revokes the grant,
//     which ends every token of the family.
//   - Access tokens are RFC 9068 JWTs (typ at+jwt). VerifyAccessToken checks
//     them in process (signature, issuer, tenant, audience, expiry) with no
//     Redis round trip; userinfo and introspection also check, in one round
//     trip, that neither the token nor its grant was revoked.
//   - ID tokens carry a single string "aud" (the client id), which Logto's
//     SDK requires; zitadel/oidc would write an array, so the token endpoint
//     answers are built here, signed with go-jose.
//
// # Signing keys
//
// Each tenant has its keys in one Redis hash, private halves sealed with
// FOYER_SECRET_KEY (AES-GCM bound to tenant and kid). A new key is
// published at once and signs only after the key cache lifetime, so every
// replica serves it in JWKS before any token carries its kid; a replaced key
// stays published until every token it signed has expired.
package oidc
