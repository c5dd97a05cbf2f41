// Package tenant owns tenants: their ids, slugs, hosts and settings in
// Redis, and the resolution of a request's Host to a tenant.
//
// Invariants: a host belongs to at most one tenant (a host index written
// create-if-absent); resolution is cached in-process for a short TTL so that
// the hot path spends no Redis round trip on it; a tenant's data never leaves
// its own keys (foyer:t:{<id>}:...).
package tenant
