package tests

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawAnswer is one response read off a raw connection.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
	close  bool
}

// rawExchange writes raw bytes to the server over a new TCP connection, reads
// responses until the server closes the connection or none comes within
// wait, and reports whether the server closed it. Nothing here goes through
// net/http's client, which would never send such requests.
func rawExchange(t *testing.T, f *Foyer, raw string, wait time.Duration) (answers []rawAnswer, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(f.Port))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	for {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)))
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			return answers, !(errors.As(err, &ne) && ne.Timeout())
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		answers = append(answers, rawAnswer{status: res.StatusCode, header: res.Header, body: body, close: res.Close})
	}
}

// TestRequestSmugglingRefused: requests that a proxy in front could frame
// differently than Foyer (RFC 9112 §6.3, §3.2) are answered 400
// request.invalid_framing, and the connection is closed, so the request
// hidden after them (here: one that would start an interaction) is never
// read. A well-formed pair on one connection gets both answers.
func TestRequestSmugglingRefused(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	createTenant(t, f, map[string]any{"slug": "acme"})
	port := strconv.Itoa(f.Port)
	demo, acme := "localhost:"+port, "acme.foyer.test:"+port
	const body = `{"event":"SignIn"}`
	put := func(host string) string {
		return "PUT /api/interaction HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	hidden := put(demo)
	chunked := strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n0\r\n\r\n"

	tests := []struct {
		name, req string
	}{
		{"two different Content-Lengths", "PUT /api/interaction HTTP/1.1\r\nHost: " + demo + "\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(len(hidden)) + "\r\nContent-Length: 0\r\n\r\n" + hidden},
		{"two Hosts", "PUT /api/interaction HTTP/1.1\r\nHost: " + demo + "\r\nHost: " + acme + "\r\nContent-Type: application/json\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body + hidden},
		{"absolute-form naming another tenant", "PUT http://" + acme + "/api/interaction HTTP/1.1\r\nHost: " + demo + "\r\n" +
			"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body + hidden},
		{"Transfer-Encoding gzip, chunked", "PUT /api/interaction HTTP/1.1\r\nHost: " + demo + "\r\nContent-Type: application/json\r\n" +
			"Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked + hidden},
		{"Transfer-Encoding with Content-Length", "PUT /api/interaction HTTP/1.1\r\nHost: " + demo + "\r\nContent-Type: application/json\r\n" +
			"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked + hidden},
		{"unknown Transfer-Encoding", "PUT /api/interaction HTTP/1.1\r\nHost: " + demo + "\r\nContent-Type: application/json\r\n" +
			"Transfer-Encoding: x-foyer\r\n\r\n" + chunked + hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answers, closed := rawExchange(t, f, tt.req, 2*time.Second)
			require.Len(t, answers, 1, "exactly one answer: the request hidden behind it must not be served")
			a := answers[0]
			require.Equal(t, http.StatusBadRequest, a.status, "body %s", a.body)
			var e Envelope
			require.NoError(t, json.Unmarshal(a.body, &e), "body %s", a.body)
			require.Equal(t, "request.invalid_framing", e.Code)
			require.True(t, a.close, "the answer says Connection: close")
			require.True(t, closed, "the server closes the connection")
			require.Equal(t, "nosniff", a.header.Get("X-Content-Type-Options"))
		})
	}
	require.Empty(t, f.scanKeys(t, "foyer:ix:*"), "no smuggled request may start an interaction")

	// The control: two well-formed requests on one connection are both served.
	answers, _ := rawExchange(t, f, put(demo)+put(acme), 500*time.Millisecond)
	require.Len(t, answers, 2)
	for _, a := range answers {
		require.Equal(t, http.StatusNoContent, a.status, "body %s", a.body)
	}
	require.Len(t, f.scanKeys(t, "foyer:ix:*"), 2)
	require.NotContains(t, strings.ToLower(f.Log()), "panic")
}
