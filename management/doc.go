// Package management is the platform admin API under /api/admin: creating,
// reading, updating and listing tenants and their settings, and each
// tenant's OpenID Connect applications (OAuth clients), signing keys and
// Cedar policies (validated when saved). It is authorised by a single
// platform key (Authorization: Bearer <key>), compared in constant time,
// and is disabled when no key is configured.
package management
