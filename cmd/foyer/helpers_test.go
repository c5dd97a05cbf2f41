package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is an io.Writer that the server's logger and the test can use
// at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one Foyer started by run() for a test.
type server struct {
	port   string
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	client *http.Client
}

// startFoyer calls run with the given environment (FOYER_ADDR is set to a
// free loopback port) and waits until it answers /healthz. At cleanup it
// cancels the context and requires run to return nil.
func startFoyer(t *testing.T, vars map[string]string) *server {
	t.Helper()
	port := freePort(t)
	e := map[string]string{"FOYER_ADDR": "127.0.0.1:" + port}
	for k, v := range vars {
		e[k] = v
	}
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{
		port: port, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	go func() { s.done <- run(ctx, nil, func(k string) string { return e[k] }, s.stderr) }()
	t.Cleanup(func() {
		// An idle keep-alive connection would hold a graceful shutdown
		// until its timeout.
		s.client.CloseIdleConnections()
		err, ok := s.stop(t)
		if ok {
			require.NoError(t, err, "run returned an error at shutdown; stderr:\n%s", s.stderr.String())
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("run returned before serving: %v\nstderr:\n%s", err, s.stderr.String())
		default:
		}
		res, err := http.Get("http://127.0.0.1:" + port + "/healthz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		require.True(t, time.Now().Before(deadline), "foyer did not come up; stderr:\n%s", s.stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
}

// stop cancels run's context and waits for it to return; ok is false when
// it was already stopped.
func (s *server) stop(t *testing.T) (err error, ok bool) {
	t.Helper()
	s.cancel()
	select {
	case err, ok = <-s.done:
		if ok {
			close(s.done)
		}
		return err, ok
	case <-time.After(15 * time.Second):
		t.Fatalf("run did not return within 15s of cancel")
		return nil, false
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

type reply struct {
	status  int
	header  http.Header
	cookies []*http.Cookie
	body    []byte
	took    time.Duration
}

// code returns the error envelope's code, or "".
func (r reply) code(t *testing.T) string {
	t.Helper()
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		return ""
	}
	var env struct {
		Code string `json:"code"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), "body: %s", r.body)
	return env.Code
}

// event returns the event of an interaction state (GET /api/interaction).
func (r reply) event(t *testing.T) string {
	t.Helper()
	var st struct {
		Event string `json:"event"`
	}
	require.NoError(t, json.Unmarshal(r.body, &st), "body: %s", r.body)
	return st.Event
}

// do sends a request over a real socket to the demo tenant's host
// (localhost), as a browser on the hosted sign-in page would.
func (s *server) do(t *testing.T, method, path, body string, cookies ...*http.Cookie) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, "http://127.0.0.1:"+s.port+path, rd)
	require.NoError(t, err)
	req.Host = "localhost:" + s.port
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if method != http.MethodGet {
		req.Header.Set("Origin", "http://localhost:"+s.port)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	start := time.Now()
	res, err := s.client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{status: res.StatusCode, header: res.Header, cookies: res.Cookies(), body: raw, took: time.Since(start)}
}

// startInteraction does PUT /api/interaction and returns the cookie set.
func (s *server) startInteraction(t *testing.T, cookies ...*http.Cookie) *http.Cookie {
	t.Helper()
	r := s.do(t, http.MethodPut, "/api/interaction", `{"event":"SignIn"}`, cookies...)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	c := findCookie(r.cookies, "foyer_ix")
	require.NotNil(t, c, "no foyer_ix cookie in %v", r.header.Values("Set-Cookie"))
	return c
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}
