package httpx

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

// Proxies are the peers whose forwarding headers are believed
// (FOYER_TRUSTED_PROXIES). The zero value trusts nobody.
type Proxies struct {
	prefixes []netip.Prefix
}

// ParseProxies reads a comma-separated list of CIDRs (10.0.0.0/8,
// fd00::/8) and bare addresses (192.0.2.7, ::1). Empty trusts nobody.
func ParseProxies(s string) (Proxies, error) {
	var p Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			pf, err := netip.ParsePrefix(f)
			if err != nil {
				return Proxies{}, fmt.Errorf("%q: want a CIDR such as 10.0.0.0/8 or an address", f)
			}
			if pf.Addr().Is4In6() { // ::ffff:10.0.0.0/104 means 10.0.0.0/8
				if pf.Bits() < 96 {
					return Proxies{}, fmt.Errorf("%q: an IPv4-mapped prefix needs at least 96 bits", f)
				}
				pf = netip.PrefixFrom(pf.Addr().Unmap(), pf.Bits()-96)
			}
			p.prefixes = append(p.prefixes, pf.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return Proxies{}, fmt.Errorf("%q: want a CIDR such as 10.0.0.0/8 or an address", f)
		}
		a = a.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// Trusts reports whether a is a trusted proxy.
func (p Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pf := range p.prefixes {
		if pf.Contains(a) {
			return true
		}
	}
	return false
}

// Client is who sent a request, as far as the server can tell: the address
// of the client and the scheme it used.
type Client struct {
	IP netip.Addr
	// Addr is IP as text, made once per request (the log and the limits
	// both want it).
	Addr   string
	Scheme string // "http" or "https"
	// Proxied: the TCP peer is a trusted proxy, whose request headers
	// (X-Request-Id among them) may be believed.
	Proxied bool
}

// Forwarding holds a request's forwarding headers, each header line as
// received, in order.
type Forwarding struct {
	XForwardedFor   []string
	Forwarded       []string // RFC 7239
	XForwardedProto []string
}

// ResolveClient finds the client of a request that arrived from peer (over
// TLS or not) with the forwarding headers f.
//
// The headers are believed only from a trusted peer. Each proxy appends the
// address it got the request from, so the chain is read from the right: the
// client is the right-most address that is not a trusted proxy (everything
// left of it may be forged). When every address is trusted the client is
// the left-most one. An entry that is not an address (unknown, an obfuscated
// identifier, garbage) ends the walk: the client is then the last proxy
// whose word could be read, never a value the client could choose.
//
// X-Forwarded-For and Forwarded are both read. A proxy writes one of them
// and passes the other through untouched, so when both are present and
// name different clients, the one the proxy did not write is the client's
// invention: neither is believed and the client is the peer.
//
// The scheme is the one reported for the hop that became the client: the
// proto= of its Forwarded element, or the X-Forwarded-Proto value aligned
// with it from the right (each proxy that appends to one appends to the
// other); the left-most value when there are fewer. Only http and https are
// taken; otherwise the connection's own scheme stands.
func (p Proxies) ResolveClient(peer netip.Addr, tls bool, f Forwarding) Client {
	cl := Client{IP: peer.Unmap(), Scheme: "http"}
	if tls {
		cl.Scheme = "https"
	}
	if !p.Trusts(cl.IP) {
		return cl
	}
	cl.Proxied = true
	protos := listValues(f.XForwardedProto)
	xff := parseXFF(f.XForwardedFor)
	fwd := parseForwarded(f.Forwarded)
	xi, fi := p.walk(xff), p.walk(fwd)
	var chain []hop
	var at int
	switch {
	case len(fwd) > 0 && len(xff) > 0:
		if xi < 0 || fi < 0 || xff[xi].addr != fwd[fi].addr {
			return cl.withProto(pick(protos, -1, 0))
		}
		chain, at = fwd, fi
	case len(fwd) > 0:
		chain, at = fwd, fi
	default:
		chain, at = xff, xi
	}
	if at < 0 {
		return cl.withProto(pick(protos, -1, 0))
	}
	cl.IP = chain[at].addr
	if chain[at].proto != "" {
		return cl.withProto(chain[at].proto)
	}
	return cl.withProto(pick(protos, at, len(chain)))
}

// withProto returns cl with scheme proto, if proto is http or https.
func (cl Client) withProto(proto string) Client {
	switch strings.ToLower(proto) {
	case "http":
		cl.Scheme = "http"
	case "https":
		cl.Scheme = "https"
	}
	return cl
}

// pick returns the value of protos aligned from the right with entry at of
// a chain of n entries (at -1: the peer itself, the right-most value).
func pick(protos []string, at, n int) string {
	if len(protos) == 0 {
		return ""
	}
	j := len(protos) - (n - at)
	switch {
	case at < 0 || j >= len(protos):
		return protos[len(protos)-1]
	case j < 0:
		return protos[0]
	}
	return protos[j]
}

// hop is one entry of a forwarding chain.
type hop struct {
	addr  netip.Addr // invalid when the entry is not an address
	proto string     // Forwarded proto=, if any
}

// walk returns the index of the client in chain (see ResolveClient), or -1
// when the chain names nobody readable.
func (p Proxies) walk(chain []hop) int {
	at := -1
	for i := len(chain) - 1; i >= 0; i-- {
		if !chain[i].addr.IsValid() {
			break
		}
		at = i
		if !p.Trusts(chain[i].addr) {
			break
		}
	}
	return at
}

// listValues splits header lines into their comma-separated values.
func listValues(lines []string) []string {
	var out []string
	for _, l := range lines {
		for _, v := range strings.Split(l, ",") {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

func parseXFF(lines []string) []hop {
	vals := listValues(lines)
	chain := make([]hop, len(vals))
	for i, v := range vals {
		chain[i].addr = parseNode(v)
	}
	return chain
}

// parseNode reads an address with an optional port: 192.0.2.1,
// 192.0.2.1:80, 2001:db8::1, [2001:db8::1] or [2001:db8::1]:80. Anything
// else, zoned addresses included, is the invalid Addr.
func parseNode(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}
		}
		return a.Unmap()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return parseNode(s[1 : len(s)-1])
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// parseForwarded reads RFC 7239 Forwarded lines into one hop per element:
// its for= address and proto=. An element that cannot be read, or has no
// usable for=, is a hop without an address.
func parseForwarded(lines []string) []hop {
	var chain []hop
	for _, l := range lines {
		for _, el := range splitQuoted(l, ',') {
			var h hop
			for _, pair := range splitQuoted(el, ';') {
				name, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if !ok {
					continue
				}
				val, ok = unquote(strings.TrimSpace(val))
				if !ok {
					h = hop{}
					break
				}
				switch strings.ToLower(strings.TrimSpace(name)) {
				case "for":
					h.addr = parseNode(val)
				case "proto":
					h.proto = val
				}
			}
			chain = append(chain, h)
		}
	}
	return chain
}

// splitQuoted splits s at sep outside double-quoted strings.
func splitQuoted(s string, sep byte) []string {
	var out []string
	quoted, escaped, from := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			out = append(out, s[from:i])
			from = i + 1
		}
	}
	return append(out, s[from:])
}

// unquote returns a token as it is and the content of a quoted-string
// (RFC 9110 §5.6.4); ok is false for an unterminated quote.
func unquote(v string) (string, bool) {
	if !strings.HasPrefix(v, `"`) {
		return v, !strings.Contains(v, `"`)
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(v)-1; i++ {
		if v[i] == '\\' && i+1 < len(v)-1 {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String(), true
}

type clientKey struct{}

// ClientInfo resolves the client of each request (see ResolveClient) once,
// for ClientIP and Scheme. Nothing else may read X-Forwarded-For,
// Forwarded or X-Forwarded-Proto, nor Fiber's c.IP and c.Protocol.
//
// The first request that carries X-Forwarded-For or Forwarded from a
// loopback or private peer that is not trusted is logged once: most likely
// a proxy that FOYER_TRUSTED_PROXIES should list, without which every
// client behind it shares the proxy's address and its limits.
func ClientInfo(p Proxies, log *slog.Logger) fiber.Handler {
	var warned atomic.Bool
	return func(c *fiber.Ctx) error {
		cl := resolve(c, p)
		cl.Addr = cl.IP.String()
		c.Locals(clientKey{}, cl)
		if (cl.IP.IsLoopback() || cl.IP.IsPrivate()) && !p.Trusts(cl.IP) && !warned.Load() && forwarded(c) &&
			warned.CompareAndSwap(false, true) {
			log.Warn("a request from a peer that FOYER_TRUSTED_PROXIES does not list carries X-Forwarded-For or Forwarded; "+
				"if this peer is your proxy, list it, or every client behind it shares one address and its limits",
				slog.String("peer", cl.IP.String()))
		}
		return c.Next()
	}
}

func forwarded(c *fiber.Ctx) bool {
	h := &c.Request().Header
	return len(h.Peek(fiber.HeaderXForwardedFor)) > 0 || len(h.Peek("Forwarded")) > 0
}

func resolve(c *fiber.Ctx, p Proxies) Client {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	var f Forwarding
	if p.Trusts(peer) {
		h := &c.Request().Header
		for _, v := range h.PeekAll(fiber.HeaderXForwardedFor) {
			f.XForwardedFor = append(f.XForwardedFor, string(v))
		}
		for _, v := range h.PeekAll("Forwarded") {
			f.Forwarded = append(f.Forwarded, string(v))
		}
		for _, v := range h.PeekAll(fiber.HeaderXForwardedProto) {
			f.XForwardedProto = append(f.XForwardedProto, string(v))
		}
	}
	return p.ResolveClient(peer, c.Context().IsTLS(), f)
}

// ClientOf returns the client that ClientInfo resolved; without the
// middleware, the TCP peer and the connection's scheme.
func ClientOf(c *fiber.Ctx) Client {
	if cl, ok := c.Locals(clientKey{}).(Client); ok {
		return cl
	}
	return resolve(c, Proxies{})
}

// ClientIP is the client's address (see ClientInfo).
func ClientIP(c *fiber.Ctx) string {
	if cl := ClientOf(c); cl.Addr != "" {
		return cl.Addr
	}
	return ClientOf(c).IP.String()
}

// Scheme is the scheme the client used, "http" or "https" (see ClientInfo).
func Scheme(c *fiber.Ctx) string { return ClientOf(c).Scheme }
