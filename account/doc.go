// Package account keeps users in Redis: their identifiers, password hash,
// WebAuthn user handle and MFA factors.
//
// A user is a hash {v, doc} under foyer:t:{<tenant>}:user:<uid>; each unique
// identifier has an index key foyer:t:{<tenant>}:idx:<kind>:<value> → uid.
// All of a tenant's keys share one hash tag, hence one cluster slot, so a
// user and its indexes are written by one Lua script: every index is claimed
// create-if-absent, or nothing is written. Usernames are indexed
// case-insensitively, emails lower-cased, phones in E.164.
package account
