package httpx

import (
	"bytes"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ErrFraming answers a request whose HTTP/1.1 framing or target is
// ambiguous; the connection is closed after it.
var ErrFraming = New(fiber.StatusBadRequest, "request.invalid_framing", "The request's HTTP framing is invalid.")

// StrictFraming refuses, before any routing, a request that two HTTP parsers
// could read differently (request smuggling), and closes the connection so
// that nothing after it on the wire is read as another request:
//
//   - Content-Length given more than once with different values, or not
//     as digits (RFC 9112 §6.3 item 5);
//   - Transfer-Encoding other than exactly one "chunked", with
//     Content-Length too, or in an HTTP/1.0 request (§6.1, §6.3 item 3);
//   - no Host in HTTP/1.1, more than one Host, or a Host with characters
//     no authority has (§3.2);
//   - an absolute-form target whose authority is not the Host (§3.2.2:
//     the target's host would win, but the tenant is chosen by Host).
//
// fasthttp keeps the last of repeated headers and reads any
// Transfer-Encoding but "identity" as chunked, so the check reads the raw
// header block it keeps aside.
func StrictFraming() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if ok := framingOK(&c.Context().Request.Header); !ok {
			c.Context().SetConnectionClose()
			return ErrFraming
		}
		return c.Next()
	}
}

// requestHeader is the part of fasthttp.RequestHeader the check reads.
type requestHeader interface {
	RawHeaders() []byte
	RequestURI() []byte
	IsHTTP11() bool
}

func framingOK(h requestHeader) bool {
	var hosts, lengths, codings int
	var host, length, coding []byte
	raw := h.RawHeaders()
	for len(raw) > 0 {
		var line []byte
		line, raw, _ = bytes.Cut(raw, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // the blank line that ends the block
		}
		value = bytes.Trim(value, " \t")
		switch {
		case bytes.EqualFold(name, []byte("Host")):
			hosts++
			host = value
		case bytes.EqualFold(name, []byte("Content-Length")):
			if !digits(value) || (lengths > 0 && !bytes.Equal(value, length)) {
				return false
			}
			lengths++
			length = value
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			codings++
			coding = value
		}
	}
	switch {
	case hosts > 1, hosts == 0 && h.IsHTTP11(), hosts == 1 && !validAuthority(host):
		return false
	case codings > 0 && (codings > 1 || lengths > 0 || !h.IsHTTP11() || !bytes.EqualFold(coding, []byte("chunked"))):
		return false
	}
	return targetMatchesHost(h.RequestURI(), host)
}

func digits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validAuthority reports whether a Host value has only the characters of
// uri-host [":" port] (RFC 3986 §3.2.2: reg-name, IPv4, or an IP literal in
// brackets). Empty is allowed (§3.2: an authority-less target).
func validAuthority(b []byte) bool {
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=%:[]", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// targetMatchesHost reports whether the request target is origin-form
// ("/path"), or absolute-form naming the same authority as Host.
func targetMatchesHost(target, host []byte) bool {
	if len(target) == 0 || target[0] == '/' || string(target) == "*" {
		return true
	}
	rest, ok := cutScheme(target)
	if !ok {
		return false // authority-form (CONNECT) or garbage
	}
	authority := rest
	if i := bytes.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	return len(authority) > 0 && bytes.EqualFold(authority, host)
}

func cutScheme(target []byte) ([]byte, bool) {
	for _, scheme := range []string{"http://", "https://"} {
		if len(target) >= len(scheme) && bytes.EqualFold(target[:len(scheme)], []byte(scheme)) {
			return target[len(scheme):], true
		}
	}
	return nil, false
}
