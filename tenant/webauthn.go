package tenant

import (
	"net/url"
	"slices"
	"strings"

	originpkg "github.com/foyer-auth/foyer/internal/origin"
)

// WebAuthn origins. A ceremony for the tenant's RP ID may run on a page
// whose origin is
//   - a tenant host that is the RP ID or a subdomain of it, over https (in
//     dev mode also plain http, any port): W3C WebAuthn L3 §5.1.3 step 8 lets
//     such a page claim the RP ID;
//   - one of Settings.Origins, the exact origins the tenant trusts;
//   - one of Settings.RelatedOrigins, pages on other domains that browsers
//     admit through GET https://<RP ID>/.well-known/webauthn (§5.11).
//
// A tenant host outside the RP ID is none of these: a browser refuses the
// RP ID there unless the origin is listed as related, so the server refuses
// it too.

// AllowsWebAuthnOrigin reports whether a page on origin may run a WebAuthn
// ceremony for the tenant.
func (t *Tenant) AllowsWebAuthnOrigin(origin string) bool {
	if slices.Contains(t.Settings.Origins, origin) || slices.Contains(t.Settings.RelatedOrigins, origin) {
		return true
	}
	o, ok := originpkg.Parse(origin)
	return ok && t.AllowsOrigin(origin) && underRPID(o.Host, t.RPID())
}

// WebAuthnOrigins lists the origins AllowsWebAuthnOrigin admits, for a
// relying party configuration (without the dev-mode ports, which are
// admitted per request).
func (t *Tenant) WebAuthnOrigins() []string {
	rpID := t.RPID()
	out := make([]string, 0, len(t.Hosts)+len(t.Settings.Origins)+len(t.Settings.RelatedOrigins))
	for _, h := range t.Hosts {
		if underRPID(h, rpID) {
			out = append(out, "https://"+h)
		}
	}
	for _, o := range append(slices.Clone(t.Settings.Origins), t.Settings.RelatedOrigins...) {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

func underRPID(host, rpID string) bool {
	return rpID != "" && (host == rpID || strings.HasSuffix(host, "."+rpID))
}

// ValidRelatedOrigin reports whether o is an origin a related origins
// document may list: https, a host, an optional port, nothing else.
func ValidRelatedOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.Hostname() != "" && u.User == nil &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !strings.HasSuffix(o, "?") && !strings.HasSuffix(o, "#") &&
		u.Host == strings.ToLower(u.Host)
}
