package main

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// inProcess drives the app's handler with requests parsed from raw bytes,
// as the server would after reading them from a socket, so that what is
// measured is the server's own work: Fiber, the middleware, the service,
// go-redis and real Redis, without an HTTP client in the same process.
type inProcess struct {
	h     *hotPath
	serve fasthttp.RequestHandler
	br    *bufio.Reader
	ctx   fasthttp.RequestCtx
	addr  net.Addr
}

func newInProcess(tb testing.TB) *inProcess {
	h := newHotPath(tb)
	return &inProcess{h: h, serve: h.app.Handler(), br: bufio.NewReader(nil),
		addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}}
}

// raw is one request as a same-origin SPA sends it.
func (p *inProcess) raw(method, path, body, cookie string) []byte {
	host := strings.TrimPrefix(p.h.url, "http://")
	var b bytes.Buffer
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + p.h.url +
		"\r\nSec-Fetch-Site: same-origin\r\nUser-Agent: bench\r\nAccept: application/json\r\n")
	if cookie != "" {
		b.WriteString("Cookie: foyer_ix=" + cookie + "\r\n")
	}
	if body != "" {
		b.WriteString("Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.Bytes()
}

// do serves one raw request and answers its status and body (valid until
// the next call).
func (p *inProcess) do(tb testing.TB, raw []byte) (int, []byte) {
	p.br.Reset(bytes.NewReader(raw))
	p.ctx.Request.Reset()
	p.ctx.Response.Reset()
	// As fasthttp's server does between requests: Fiber keeps the user
	// context there, and a request must not inherit the last one's.
	p.ctx.ResetUserValues()
	if err := p.ctx.Request.Read(p.br); err != nil {
		tb.Fatal(err)
	}
	p.ctx.Init2(nil, nil, false)
	p.ctx.SetRemoteAddr(p.addr)
	p.serve(&p.ctx)
	return p.ctx.Response.StatusCode(), p.ctx.Response.Body()
}

// hotCall is one request of a sign-in page and the status it answers.
type hotCall struct {
	name   string
	raw    []byte
	status int
}

// hotCalls are the calls every sign-in page makes: the options calls and
// the read, on an identified Register interaction like the performance
// reference's, and request options on a new SignIn interaction.
func hotCalls(tb testing.TB, p *inProcess) []hotCall {
	reg := p.h.open(tb)
	p.h.call(tb, http.MethodPatch, "/api/interaction/profile", `{"username":"ann"}`, reg)
	sign := p.h.signIn(tb)
	return []hotCall{
		{"webauthn-registration", p.raw(http.MethodPost, "/api/interaction/verification/webauthn-registration", "{}", reg), fiber.StatusOK},
		{"webauthn-authentication", p.raw(http.MethodPost, "/api/interaction/verification/webauthn-authentication", "{}", sign), fiber.StatusOK},
		{"read", p.raw(http.MethodGet, "/api/interaction", "", reg), fiber.StatusOK},
	}
}

// BenchmarkHotPath is the options calls and the read path served in
// process against real Redis, with the allocations they cost.
func BenchmarkHotPath(b *testing.B) {
	p := newInProcess(b)
	for _, c := range hotCalls(b, p) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if status, body := p.do(b, c.raw); status != c.status {
					b.Fatalf("status %d: %s", status, body)
				}
			}
		})
	}
}

// hotPathAllocs are the allocations each hot call may make, server and
// go-redis together, held here so that a change that adds some is seen
// (README, Performance). They were 175, 130 and 66 before the work of
// issue 13, 82, 77 and 52 with go-redis's autopipeliner, and are 67, 63
// and 43 with internal/batch (a few more under -race). Called one at a
// time, as here, each call's commands are a pipeline of their own, whose
// allocations a loaded server shares among the commands of a batch. The
// budget leaves room for go-redis's background work landing in a count.
var hotPathAllocs = map[string]float64{
	"webauthn-registration":   80,
	"webauthn-authentication": 75,
	"read":                    55,
}

// TestHotPathAllocs counts, not times: allocations per call do not depend
// on the machine's speed or load.
func TestHotPathAllocs(t *testing.T) {
	p := newInProcess(t)
	for _, c := range hotCalls(t, p) {
		t.Run(c.name, func(t *testing.T) {
			for range 20 { // warm: the tenant cache, the template, Redis's script cache
				if status, body := p.do(t, c.raw); status != c.status {
					t.Fatalf("status %d: %s", status, body)
				}
			}
			got := testing.AllocsPerRun(200, func() { p.do(t, c.raw) })
			if got > hotPathAllocs[c.name] {
				t.Errorf("%s: %.0f allocations per call, budget %.0f", c.name, got, hotPathAllocs[c.name])
			}
			t.Logf("%s: %.0f allocations per call (budget %.0f)", c.name, got, hotPathAllocs[c.name])
		})
	}
}
