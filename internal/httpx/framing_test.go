package httpx_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

// serve runs app on a loopback port for the test and returns its address.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(time.Second) })
	return ln.Addr().String()
}

// exchange writes raw to a new connection and reads up to want responses,
// then, if waitClose, reports whether the server has closed the connection
// (waiting at most a second for it).
func exchange(t *testing.T, addr, raw string, want int, waitClose bool) (responses []*http.Response, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Second)))
	br := bufio.NewReader(conn)
	for len(responses) < want {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		responses = append(responses, res)
	}
	if !waitClose {
		return responses, false
	}
	_, err = br.ReadByte()
	var ne net.Error
	return responses, err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

func TestStrictFraming(t *testing.T) {
	app, _ := newApp(t)
	app.Use(httpx.StrictFraming())
	ok := func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) }
	app.Post("/x", ok)
	app.Get("/x", ok)
	addr := serve(t, app)
	const hidden = "GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n"

	tests := []struct {
		name string
		req  string
		ok   bool
	}{
		{"plain", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\n{}", true},
		{"chunked", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", true},
		{"chunked in upper case", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", true},
		{"same Content-Length twice", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n{}", true},
		{"absolute-form naming the Host", "GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n", true},
		{"HTTP/1.0 without Host", "GET /x HTTP/1.0\r\n\r\n", true},

		{"two different Content-Lengths", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: " + strconv.Itoa(len(hidden)) + "\r\nContent-Length: 0\r\n\r\n" + hidden, false},
		{"Content-Length list", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 0, 0\r\n\r\n", false},
		{"signed Content-Length", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: +0\r\nContent-Length: 0\r\n\r\n", false},
		{"two Hosts", "GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", false},
		{"two equal Hosts", "GET /x HTTP/1.1\r\nHost: a.test\r\nHOST: a.test\r\n\r\n", false},
		{"no Host in HTTP/1.1", "GET /x HTTP/1.1\r\n\r\n", false},
		{"Host with a space", "GET /x HTTP/1.1\r\nHost: a.test b.test\r\n\r\n", false},
		{"Host with a slash", "GET /x HTTP/1.1\r\nHost: a.test/x\r\n\r\n", false},
		{"absolute-form naming another host", "GET http://b.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n", false},
		{"absolute-form with userinfo", "GET http://b.test@a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n", false},
		{"absolute-form of another scheme", "GET ftp://a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n", false},
		{"gzip, chunked", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
		{"identity", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n", false},
		{"unknown coding", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: x-smuggle\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
		{"chunked twice", "POST /x HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
		{"chunked and Content-Length", "POST /x HTTP/1.1\r\nHost: a.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
		{"chunked in HTTP/1.0", "POST /x HTTP/1.0\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A second, well-formed request follows on the same connection:
			// it is answered after a good request and never after a bad one.
			keepAlive := strings.Contains(tt.req, "HTTP/1.1")
			want := 1
			if !tt.ok || keepAlive {
				want = 2
			}
			res, closed := exchange(t, addr, tt.req+hidden, want, !tt.ok)
			require.NotEmpty(t, res, "no answer")
			if tt.ok {
				require.Equal(t, http.StatusNoContent, res[0].StatusCode)
				require.Len(t, res, want, "the next request is served")
				return
			}
			require.Equal(t, http.StatusBadRequest, res[0].StatusCode)
			require.Len(t, res, 1, "nothing after a badly framed request may be answered")
			require.True(t, closed, "the connection is closed")
			require.True(t, res[0].Close, "the answer says Connection: close")
		})
	}
}
