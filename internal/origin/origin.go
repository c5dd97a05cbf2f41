package origin

import "net/netip"

// Origin is a parsed origin. Host is the host name or address without
// brackets; Port is "" when absent.
type Origin struct {
	Scheme string
	Host   string
	Port   string
}

// Parse cuts o into its parts. It accepts only what a browser serialises:
// an http or https scheme in lower case, a host of letters, digits, '-',
// '.' and '_' (or an IPv6 address in brackets), and an optional port of
// digits; no userinfo, path, query or fragment.
func Parse(o string) (Origin, bool) {
	var scheme string
	switch {
	case len(o) > len("https://") && o[:len("https://")] == "https://":
		scheme = "https"
	case len(o) > len("http://") && o[:len("http://")] == "http://":
		scheme = "http"
	default:
		return Origin{}, false
	}
	rest := o[len(scheme)+3:]
	var host, port string
	if rest[0] == '[' {
		end := indexByte(rest, ']')
		if end < 0 || !ipv6(rest[1:end]) {
			return Origin{}, false
		}
		host, rest = rest[1:end], rest[end+1:]
	} else {
		end := indexByte(rest, ':')
		if end < 0 {
			end = len(rest)
		}
		host, rest = rest[:end], rest[end:]
		if !hostName(host) {
			return Origin{}, false
		}
	}
	if rest != "" {
		if rest[0] != ':' || !digits(rest[1:]) {
			return Origin{}, false
		}
		port = rest[1:]
	}
	return Origin{Scheme: scheme, Host: host, Port: port}, true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func hostName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func ipv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}

func digits(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
