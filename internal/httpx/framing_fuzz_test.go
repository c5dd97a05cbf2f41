package httpx

import (
	"bytes"
	"testing"
)

type rawHeader struct {
	raw, uri []byte
	http11   bool
}

func (h rawHeader) RawHeaders() []byte { return h.raw }
func (h rawHeader) RequestURI() []byte { return h.uri }
func (h rawHeader) IsHTTP11() bool     { return h.http11 }

// FuzzFraming: the framing check reads client bytes; it must not panic, and
// what it accepts has at most one Host, and Transfer-Encoding only as a
// lone "chunked" without Content-Length.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("Host: a\r\nContent-Length: 1\r\n\r\n"), []byte("/x"), true)
	f.Add([]byte("Host: a\r\nHost: b\r\n\r\n"), []byte("/x"), true)
	f.Add([]byte("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), []byte("http://a/x"), true)
	f.Add([]byte("Content-Length: 1\r\ncontent-length: 2\r\n"), []byte("*"), false)
	f.Add([]byte("host:a\nTransfer-Encoding:chunked\n"), []byte("https://b/"), true)
	f.Fuzz(func(t *testing.T, raw, uri []byte, http11 bool) {
		if !framingOK(rawHeader{raw: raw, uri: uri, http11: http11}) {
			return
		}
		lower := bytes.ToLower(raw)
		if bytes.Count(lower, []byte("\nhost:"))+btoi(bytes.HasPrefix(lower, []byte("host:"))) > 1 {
			t.Fatalf("accepted two Host lines: %q", raw)
		}
		if bytes.Contains(lower, []byte("transfer-encoding:")) && bytes.Contains(lower, []byte("content-length:")) {
			t.Fatalf("accepted Transfer-Encoding with Content-Length: %q", raw)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
