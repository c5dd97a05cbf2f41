package management

import (
	"slices"
	"strconv"
	"strings"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
)

// reservedSlug reports whether a slug names a host the platform keeps for
// itself under the base domain (api.<base>, www.<base>, mail.<base>, ...),
// or that people would take for the platform's own (admin, login).
func reservedSlug(slug string) bool {
	switch slug {
	case "admin", "api", "www", "app", "auth", "login", "logout", "oauth", "oidc", "sso", "id",
		"account", "accounts", "console", "dashboard", "status", "static", "assets", "cdn",
		"docs", "help", "support", "mail", "smtp", "imap", "mx", "ns", "ns1", "ns2", "foyer":
		return true
	}
	return false
}

// checkHosts applies the rules of the platform's host space to the hosts a
// tenant asks for (already normalised; field names the list in errors):
//
//   - inside the base domain, the only host a tenant may have is its own
//     <slug>.<base>: not the apex, not another slug's host (taken or not:
//     a slug created later would find its host gone), and not a name below
//     any of them;
//   - no host may be the same as, a parent of, or a name below a host of
//     another tenant (cookies and WebAuthn RP IDs follow the DNS tree).
func checkHosts(field, slug, base string, hosts []string, self string, others []*tenant.Tenant) error {
	own := ""
	if base != "" {
		own = slug + "." + base
	}
	for i, h := range hosts {
		f := field + "[" + strconv.Itoa(i) + "]"
		if base != "" && (h == base || strings.HasSuffix(h, "."+base)) && h != own {
			return httpx.InvalidField(f, "outside_base_domain", base)
		}
		for _, o := range others {
			if o.ID == self {
				continue
			}
			if slices.ContainsFunc(o.Hosts, func(oh string) bool { return related(h, oh) }) {
				return httpx.InvalidField(f, "overlaps_tenant", o.Slug)
			}
		}
	}
	return nil
}

// related reports whether a and b are the same name or one is below the
// other in the DNS tree. The same name is left to the store's claim (409).
func related(a, b string) bool {
	return a != b && (strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a))
}
