// Package session keeps cookie-keyed documents in Redis: interactions and
// login sessions. It knows nothing of what a document means.
//
// A document is a Redis hash {v: version, doc: bytes} under
// "foyer:<kind>:{<id>}" (the braces are the Redis Cluster hash tag, so one
// document never spans slots). Invariants:
//   - ids are 32 bytes from crypto/rand, base64url without padding;
//   - a read is one HMGET (one round trip);
//   - an update is compare-and-swap on v: one HMGET, then one Lua script that
//     writes only if v is unchanged. A lost race re-reads and re-applies the
//     change; nothing is ever blindly overwritten;
//   - a deleted or expired document is never brought back: the script refuses
//     to write a key that no longer exists, and updates keep the key's TTL.
package session
