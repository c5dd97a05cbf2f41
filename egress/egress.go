package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused matches every *RefusedError.
var ErrRefused = errors.New("egress: destination not allowed")

// RefusedError names the refused address and why.
type RefusedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("egress: %s is %s; allow it with FOYER_EGRESS_ALLOW", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrRefused) match.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Policy decides which addresses may be dialled. The zero Policy refuses
// every non-public address; a nil *Policy allows everything (for code paths
// that are not tenant-configured, and tests of other packages).
type Policy struct {
	allow []netip.Prefix
}

// New returns a Policy allowing the given non-public ranges.
func New(allow []netip.Prefix) *Policy { return &Policy{allow: allow} }

// ParseAllow parses FOYER_EGRESS_ALLOW: comma-separated CIDRs or single
// addresses ("127.0.0.0/8,10.1.2.3"). Empty is none.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q: want a CIDR such as 10.0.0.0/8 or an address", part)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q: want a CIDR such as 10.0.0.0/8 or an address", part)
		}
		out = append(out, netip.PrefixFrom(p.Addr().Unmap(), min(p.Bits(), p.Addr().Unmap().BitLen())).Masked())
	}
	return out, nil
}

// special are ranges that are not public unicast beyond what netip's
// predicates name (RFC 6890 and its updates).
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
}

// Check returns nil when ip may be dialled, else a *RefusedError.
func (p *Policy) Check(ip netip.Addr) error {
	if p == nil {
		return nil
	}
	ip = ip.Unmap()
	reason := classify(ip)
	if reason == "" {
		return nil
	}
	for _, a := range p.allow {
		if a.Contains(ip) {
			return nil
		}
	}
	return &RefusedError{Addr: ip, Reason: reason}
}

// classify names why ip is not a public unicast address ("" if it is).
func classify(ip netip.Addr) string {
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the broadcast address"
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	// NAT64 (RFC 6052) carries an IPv4 address in its last 32 bits: judge that.
	if nat64 := netip.MustParsePrefix("64:ff9b::/96"); nat64.Contains(ip) {
		b := ip.As16()
		return classify(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return ""
}

// Control is a net.Dialer.Control function: it runs after resolution, on
// the very address about to be connected.
func (p *Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("egress: %w", err)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a net.Dialer that applies the policy to every address it
// connects to.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if p != nil {
		d.Control = p.Control
	}
	return d
}

// DialContext dials through Dialer with a 10 s connect timeout.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return p.Dialer(10*time.Second).DialContext(ctx, network, addr)
}

// Transport returns an http.Transport whose every connection obeys the
// policy. It uses no proxy: a proxied dial would reach the proxy, not the
// checked address.
func (p *Policy) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = p.DialContext
	t.MaxIdleConnsPerHost = 4
	return t
}
