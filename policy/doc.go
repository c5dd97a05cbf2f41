// Package policy authorizes account and enrollment actions with each
// tenant's Cedar policies (github.com/cedar-policy/cedar-go).
//
// A tenant's policies are Cedar text kept at foyer:t:{<tenant>}:policies,
// parsed when saved (a syntax error is refused with its line and column)
// and cached in process, parsed, as long as tenants are.
//
// Policies restrict what Foyer allows: the set is evaluated together with
// Foyer's own `permit (principal, action, resource);` (id foyer.default),
// so a tenant writes forbid rules, and a tenant without policies is
// allowed everything. When a request is denied, the determining policies
// (Cedar's diagnostic reasons: the forbid rules that matched) give their
// @notice("...") annotations to the answer's notices.
//
// The request (Request) is Cedar's principal, action, resource and context:
//
//   - principal: User::"<id>" acting on its own account, or
//     Admin::"<client id>" for a management token;
//   - action: Action::"RegisterWebAuthn", Action::"RemoveFactor", ... (the
//     Action* constants);
//   - resource: User::"<id>", the account acted upon;
//   - context: method_type, authenticatorAttachment, domain, factorType
//     (strings, "" when they do not apply) and via (how the caller
//     authenticated: "bearer", "token", "code" or "management").
//
// A User entity has the attributes factors (set of "WebAuthn", "Totp",
// "BackupCode"), factorCount (WebAuthn credentials and TOTP apps),
// passkeyCount, backupCodesRemaining, hasPassword, and, as principal, aal
// (0 not signed in, 1 one factor, 2 several) and, when signed in,
// authAgeSeconds.
package policy
