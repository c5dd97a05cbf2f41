package httpx

import (
	"net"
	"net/url"
	"strings"
)

// SafeRedirect reports whether s may be sent to a browser as a place to go
// after sign-in without leaving the tenant by surprise:
//
//   - a path on the same origin: "/" alone, or "/" followed by a character
//     other than "/" and "\" ("//evil.test" and "/\evil.test" are another
//     host to a WHATWG URL parser);
//   - an absolute https URL with a host and no userinfo, or http to a
//     loopback host (localhost, 127.0.0.1, ::1) for development.
//
// Only printable ASCII other than "\" is allowed anywhere: WHATWG parsers drop
// tabs and newlines inside URLs (so "/\t/evil.test" becomes "//evil.test"),
// trim leading and trailing controls and spaces, and read "\" as "/".
// Anything else must be percent-encoded.
func SafeRedirect(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	if s[0] == '/' {
		return len(s) == 1 || s[1] != '/'
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return isLoopback(u.Hostname())
	}
	return false
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
