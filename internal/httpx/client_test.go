package httpx_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

func TestParseProxies(t *testing.T) {
	tests := []struct {
		in      string
		trusted []string
		not     []string
		err     bool
	}{
		{in: "", not: []string{"127.0.0.1", "::1", "10.0.0.1"}},
		{in: " , ", not: []string{"127.0.0.1"}},
		{in: "10.0.0.0/8, 192.0.2.7", trusted: []string{"10.1.2.3", "192.0.2.7", "::ffff:10.9.9.9"}, not: []string{"11.0.0.1", "192.0.2.8"}},
		{in: "10.1.2.3/8", trusted: []string{"10.200.0.1"}}, // host bits are ignored
		{in: "::1,fd00::/8", trusted: []string{"::1", "fd12::5"}, not: []string{"::2", "fe80::1"}},
		{in: "::ffff:10.0.0.0/104", trusted: []string{"10.0.0.9"}, not: []string{"11.0.0.1"}},
		{in: "::ffff:10.0.0.1", trusted: []string{"10.0.0.1"}},
		{in: "localhost", err: true},
		{in: "10.0.0.0/33", err: true},
		{in: "10.0.0.0/8,nope", err: true},
		{in: "fe80::1%eth0", err: true},
		{in: "::ffff:0.0.0.0/64", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := httpx.ParseProxies(tt.in)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			for _, a := range tt.trusted {
				require.True(t, p.Trusts(netip.MustParseAddr(a)), "%s should be trusted", a)
			}
			for _, a := range tt.not {
				require.False(t, p.Trusts(netip.MustParseAddr(a)), "%s should not be trusted", a)
			}
		})
	}
}

func TestResolveClient(t *testing.T) {
	p, err := httpx.ParseProxies("10.0.0.0/8, 2001:db8:ff::/48")
	require.NoError(t, err)
	const proxy, inner, client, forged = "10.0.0.1", "10.0.0.2", "198.51.100.7", "203.0.113.9"
	tests := []struct {
		name   string
		peer   string
		tls    bool
		f      httpx.Forwarding
		ip     string
		scheme string
	}{
		{name: "direct client, headers ignored", peer: client,
			f:  httpx.Forwarding{XForwardedFor: []string{forged}, Forwarded: []string{"for=" + forged}, XForwardedProto: []string{"https"}},
			ip: client, scheme: "http"},
		{name: "direct TLS client", peer: client, tls: true, f: httpx.Forwarding{XForwardedProto: []string{"http"}}, ip: client, scheme: "https"},
		{name: "trusted proxy without headers", peer: proxy, ip: proxy, scheme: "http"},
		{name: "one proxy", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{client}, XForwardedProto: []string{"https"}}, ip: client, scheme: "https"},
		{name: "forged entries left of the real one", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{forged + ", 10.0.0.9, " + client}},
			ip: client, scheme: "http"},
		{name: "two proxies", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{forged + ", " + client + ", " + inner}}, ip: client, scheme: "http"},
		{name: "header lines are one list", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{forged, client + ", " + inner}}, ip: client, scheme: "http"},
		{name: "entries with ports", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"[2001:db8::1]:443, " + client + ":5000"}}, ip: client, scheme: "http"},
		{name: "IPv6 client", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"2001:db8::7"}}, ip: "2001:db8::7", scheme: "http"},
		{name: "IPv6 proxy", peer: "2001:db8:ff::1", f: httpx.Forwarding{XForwardedFor: []string{client}}, ip: client, scheme: "http"},
		{name: "IPv4-mapped peer", peer: "::ffff:10.0.0.1", f: httpx.Forwarding{XForwardedFor: []string{client}}, ip: client, scheme: "http"},
		{name: "IPv4-mapped entry", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"::ffff:" + client}}, ip: client, scheme: "http"},
		{name: "every hop trusted: the left-most", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"10.3.3.3, " + inner}}, ip: "10.3.3.3", scheme: "http"},
		{name: "garbage right of the client stops at the proxy", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{client + ", garbage, " + inner}},
			ip: inner, scheme: "http"},
		{name: "unreadable entry from the peer", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"unknown"}}, ip: proxy, scheme: "http"},
		{name: "zoned address is not an address", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{"fe80::1%eth0"}}, ip: proxy, scheme: "http"},
		{name: "empty header", peer: proxy, f: httpx.Forwarding{XForwardedFor: []string{""}}, ip: proxy, scheme: "http"},

		{name: "Forwarded", peer: proxy, f: httpx.Forwarding{Forwarded: []string{`for=` + client + `;proto=https;by=10.0.0.1`}}, ip: client, scheme: "https"},
		{name: "Forwarded quoted IPv6 with port", peer: proxy, f: httpx.Forwarding{Forwarded: []string{`For="[2001:db8:cafe::17]:4711";Proto=HTTPS`}}, ip: "2001:db8:cafe::17", scheme: "https"},
		{name: "Forwarded forged element", peer: proxy,
			f:  httpx.Forwarding{Forwarded: []string{`for=` + forged + `;proto=https, for=` + client + `;proto=http`}},
			ip: client, scheme: "http"},
		{name: "Forwarded quoted comma does not split", peer: proxy,
			f:  httpx.Forwarding{Forwarded: []string{`for=` + forged + `;x="a, for=10.0.0.3", for=` + client}},
			ip: client, scheme: "http"},
		{name: "Forwarded unterminated quote swallows the proxy's element", peer: proxy,
			f:  httpx.Forwarding{Forwarded: []string{`for=` + forged + `;x="oops, for=` + client}},
			ip: proxy, scheme: "http"},
		{name: "Forwarded obfuscated", peer: proxy, f: httpx.Forwarding{Forwarded: []string{`for=_hidden, for=` + inner}}, ip: inner, scheme: "http"},
		{name: "Forwarded without for", peer: proxy, f: httpx.Forwarding{Forwarded: []string{`proto=https`}}, ip: proxy, scheme: "http"},
		{name: "Forwarded proto missing: X-Forwarded-Proto", peer: proxy,
			f:  httpx.Forwarding{Forwarded: []string{`for=` + client}, XForwardedProto: []string{"https"}},
			ip: client, scheme: "https"},

		{name: "both headers agree", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{client}, Forwarded: []string{`for=` + client + `;proto=https`}},
			ip: client, scheme: "https"},
		{name: "forged Forwarded past a proxy that writes X-Forwarded-For", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{client}, Forwarded: []string{`for=` + forged}},
			ip: proxy, scheme: "http"},
		{name: "forged X-Forwarded-For past a proxy that writes Forwarded", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{forged}, Forwarded: []string{`for=` + client}},
			ip: proxy, scheme: "http"},

		{name: "X-Forwarded-Proto aligned from the right", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{forged + ", " + client}, XForwardedProto: []string{"https, http"}},
			ip: client, scheme: "http"},
		{name: "X-Forwarded-Proto per hop", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{client + ", " + inner}, XForwardedProto: []string{"https", "http"}},
			ip: client, scheme: "https"},
		{name: "X-Forwarded-Proto shorter than the chain: its left-most", peer: proxy,
			f:  httpx.Forwarding{XForwardedFor: []string{client + ", " + inner}, XForwardedProto: []string{"https"}},
			ip: client, scheme: "https"},
		{name: "X-Forwarded-Proto other scheme ignored", peer: proxy, tls: true,
			f:  httpx.Forwarding{XForwardedFor: []string{client}, XForwardedProto: []string{"ws"}},
			ip: client, scheme: "https"},
		{name: "X-Forwarded-Proto from the peer itself", peer: proxy, f: httpx.Forwarding{XForwardedProto: []string{"https"}}, ip: proxy, scheme: "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.ResolveClient(netip.MustParseAddr(tt.peer), tt.tls, tt.f)
			require.Equal(t, tt.ip, got.IP.String(), "client address")
			require.Equal(t, tt.scheme, got.Scheme, "scheme")
		})
	}
}

// TestClientInfoMiddleware: over a real socket, the middleware reads
// every header line and believes them only from a trusted peer.
func TestClientInfoMiddleware(t *testing.T) {
	for _, tt := range []struct {
		trusted string
		ip      string
		scheme  string
	}{
		{"", "127.0.0.1", "http"},
		{"10.0.0.0/8", "127.0.0.1", "http"},
		{"127.0.0.1", "198.51.100.7", "https"},
	} {
		t.Run(tt.trusted, func(t *testing.T) {
			p, err := httpx.ParseProxies(tt.trusted)
			require.NoError(t, err)
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			var logs strings.Builder
			app.Use(httpx.ClientInfo(p, slog.New(slog.NewTextHandler(&logs, nil))))
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(httpx.ClientIP(c) + " " + httpx.Scheme(c)) })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = app.Listener(ln) }()
			t.Cleanup(func() { _ = app.Shutdown() })

			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
			require.NoError(t, err)
			req.Header.Add("X-Forwarded-For", "203.0.113.9")
			req.Header.Add("X-Forwarded-For", "198.51.100.7")
			req.Header.Set("X-Forwarded-Proto", "https")
			res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.Equal(t, tt.ip+" "+tt.scheme, string(body))
			require.Equal(t, tt.trusted != "127.0.0.1", strings.Contains(logs.String(), "FOYER_TRUSTED_PROXIES does not list"),
				"an untrusted loopback peer sending X-Forwarded-For is logged: %q", logs.String())
		})
	}
}
