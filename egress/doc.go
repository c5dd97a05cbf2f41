// Package egress is the rule for outbound connections that tenants
// configure (webhook endpoints, the SMS webhook, SMTP hosts): they may not
// reach loopback, private, link-local or other non-public addresses unless
// the operator allows those ranges (FOYER_EGRESS_ALLOW).
//
// The rule is checked at dial time, on the address actually dialled after
// name resolution (net.Dialer.Control), not only when a URL is saved: a name
// that resolves to 127.0.0.1 today, or is re-pointed after it was saved
// (DNS rebinding), is refused all the same. HTTP clients built here ignore
// proxy environment variables, whose dial would go to the proxy instead of
// the checked address.
package egress
