// Package tests holds Foyer's black-box end-to-end suites: a real foyer
// binary and a real redis-server per test, spoken to over HTTP only. Nothing
// of Foyer is imported except internal/redistest, which starts redis-server.
//
// Every response the suite receives goes through a RoundTripper that
// validates it against ../openapi.yaml; a response the document does not
// describe fails the request, and so the test. The same RoundTripper records
// which operations were exercised, and TestMain fails the run when an
// operation of the document was never called.
package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// specPath is the OpenAPI document every response is validated against.
const specPath = "../openapi.yaml"

// baseDomain is the FOYER_BASE_DOMAIN of every server the suite starts.
const baseDomain = "foyer.test"

// suite is what TestMain prepares once for every test: the built binary, the
// loaded spec and its router, and the record of exercised operations.
var suite struct {
	bin     string
	spec    *openapi3.T
	router  routers.Router
	covered *coverage
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "foyer-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	suite.bin = filepath.Join(dir, "foyer")
	args := []string{"build", "-o", suite.bin}
	if os.Getenv("FOYER_E2E_RACE") == "1" {
		args = append(args, "-race") // the server's own data races, under the suite's load
	}
	build := exec.Command("go", append(args, "../cmd/foyer")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tests: go build ../cmd/foyer:", err)
		return 1
	}

	suite.spec, suite.router, err = loadSpec(specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		return 1
	}
	suite.covered = newCoverage()
	registerPageDecoders()

	code := m.Run()
	stopBrowsers()
	if runsEverything() || os.Getenv("FOYER_E2E_COVERAGE") == "1" {
		if missing := suite.covered.missing(suite.spec); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: operations of %s that no test exercised:\n  %s\n",
				specPath, strings.Join(missing, "\n  "))
			return 1
		}
	}
	return code
}

// runsEverything reports whether this run selects every test: the coverage
// check means nothing under -run, -skip or -short (FOYER_E2E_COVERAGE=1
// forces it).
func runsEverything() bool {
	for _, name := range []string{"test.run", "test.skip"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	return !testing.Short()
}

// loadSpec loads and validates the OpenAPI document and builds a router that
// matches any host: tenants are told apart by Host, which the servers list
// cannot enumerate.
func loadSpec(path string) (*openapi3.T, routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, nil, fmt.Errorf("validate %s: %w", path, err)
	}
	routing := *doc
	routing.Servers = nil
	router, err := gorillamux.NewRouter(&routing)
	if err != nil {
		return nil, nil, fmt.Errorf("router for %s: %w", path, err)
	}
	return doc, router, nil
}

// coverage records the operations ("METHOD /path/template") the suite called.
type coverage struct {
	mu   sync.Mutex
	seen map[string]bool
}

func newCoverage() *coverage { return &coverage{seen: map[string]bool{}} }

func (c *coverage) add(method, path string) {
	c.mu.Lock()
	c.seen[method+" "+path] = true
	c.mu.Unlock()
}

func (c *coverage) missing(doc *openapi3.T) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if op := method + " " + path; !c.seen[op] {
				out = append(out, op)
			}
		}
	}
	sort.Strings(out)
	return out
}

// validatingTransport checks every response against the spec. A response the
// spec does not allow becomes a transport error, so the request fails.
type validatingTransport struct {
	next http.RoundTripper
}

func (v validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	route, params, routeErr := suite.router.FindRoute(req)
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if os.Getenv("FOYER_E2E_NO_SPEC") == "1" && os.Getenv("CI") != "true" {
		return resp, nil // local debugging only: CI always validates
	}
	if routeErr != nil {
		return nil, fmt.Errorf("openapi: %s %s is not in %s: %w", req.Method, req.URL.Path, specPath, routeErr)
	}
	suite.covered.add(req.Method, route.Path)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		// kin-openapi's errors repeat the whole schema and value per problem.
		msg := err.Error()
		if len(msg) > 2000 {
			msg = msg[:2000] + " …"
		}
		return nil, fmt.Errorf("openapi: response to %s %s (Host %s) violates %s: %d %s\n  body: %.500s\n  error: %s",
			req.Method, req.URL.Path, req.Host, specPath, resp.StatusCode, resp.Header, body, msg)
	}
	return resp, nil
}

// Foyer is one running foyer process with its own redis-server.
type Foyer struct {
	t        *testing.T
	URL      string // http://127.0.0.1:<port>, what the suite dials
	Port     int
	AdminKey string
	Redis    *redis.Client
	RedisSrv *redistest.Server
	http     *http.Client
	log      *syncBuffer
	stop     func() error // SIGTERM and wait, once
}

// startFoyer starts redis-server and foyer (dev mode, base domain
// foyer.test, a random admin key) and stops both when t ends. env adds to or
// overrides the FOYER_* environment: FOYER_TRUSTED_PROXIES=127.0.0.1, say,
// makes the suite a trusted proxy, whose Client.ForwardedFor and
// Client.Proto are believed.
func startFoyer(t *testing.T, env map[string]string) *Foyer {
	t.Helper()
	return startFoyerOn(t, redistest.Start(t), env)
}

// startFoyerOn is startFoyer on a redis-server the test started itself
// (with AOF, say).
func startFoyerOn(t *testing.T, rs *redistest.Server, env map[string]string) *Foyer {
	t.Helper()
	port := freePort(t)
	f := &Foyer{
		t:        t,
		URL:      "http://127.0.0.1:" + strconv.Itoa(port),
		Port:     port,
		AdminKey: randomString(t, 48),
		RedisSrv: rs,
		log:      &syncBuffer{},
		http: &http.Client{
			Transport: validatingTransport{next: &http.Transport{
				MaxIdleConns:        512,
				MaxIdleConnsPerHost: 512,
				DisableCompression:  true,
				IdleConnTimeout:     30 * time.Second,
				// With Expect: 100-continue the body is sent only once the
				// server agrees, so a 413 arrives before the body is written.
				ExpectContinueTimeout: 2 * time.Second,
			}},
			Timeout:       15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	vars := map[string]string{
		"FOYER_ADDR":        "127.0.0.1:" + strconv.Itoa(port),
		"FOYER_REDIS_URL":   rs.URL(),
		"FOYER_DEV":         "1",
		"FOYER_BASE_DOMAIN": baseDomain,
		"FOYER_ADMIN_KEY":   f.AdminKey,
		// Test receivers (SMTP, webhooks) listen on loopback.
		"FOYER_EGRESS_ALLOW": "127.0.0.0/8,::1/128",
	}
	for k, v := range env {
		vars[k] = v
	}
	if k := vars["FOYER_ADMIN_KEY"]; k != f.AdminKey {
		f.AdminKey = k
	}
	cmd := exec.Command(suite.bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FOYER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f.log, f.log
	require.NoError(t, cmd.Start(), "start foyer")
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	f.Redis = redis.NewClient(&redis.Options{Addr: rs.Addr})
	var once sync.Once
	var stopErr error
	f.stop = func() error {
		once.Do(func() {
			f.http.CloseIdleConnections()
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				if err != nil {
					stopErr = fmt.Errorf("foyer did not shut down cleanly on SIGTERM: %w", err)
				}
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
				stopErr = errors.New("foyer did not stop within 15s of SIGTERM")
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		_ = f.Redis.Close()
		if err := f.stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("foyer log:\n%s", f.log.String())
		}
	})

	demo := f.Client("localhost:" + strconv.Itoa(port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup, which waits for the exit too
			t.Fatalf("foyer exited before it was ready: %v\nlog:\n%s", err, f.log.String())
		default:
		}
		resp, err := demo.TryDo(http.MethodGet, "/healthz", nil)
		if err == nil && resp.Status == http.StatusOK {
			break
		}
		var opErr *net.OpError
		if err != nil && !errors.As(err, &opErr) {
			t.Fatalf("GET /healthz: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("foyer not healthy within 15s (last error %v)\nlog:\n%s", err, f.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return f
}

// Stop stops foyer as a deploy would (SIGTERM) and requires a clean exit.
func (f *Foyer) Stop(t *testing.T) {
	t.Helper()
	require.NoError(t, f.stop())
}

// Log is what foyer has written to stdout and stderr so far. Foyer writes
// its log lines in batches at most 50 ms apart (internal/logbuf), so Log
// returns once nothing new has arrived for three times that.
func (f *Foyer) Log() string {
	prev := f.log.String()
	for range 40 {
		time.Sleep(150 * time.Millisecond)
		cur := f.log.String()
		if cur == prev {
			break
		}
		prev = cur
	}
	return prev
}

// Demo is a browser on the dev-mode demo tenant (http://localhost:<port>).
func (f *Foyer) Demo() *Client { return f.Client("localhost:" + strconv.Itoa(f.Port)) }

// Tenant is a browser on http://<slug>.foyer.test:<port>.
func (f *Foyer) Tenant(slug string) *Client {
	return f.Client(slug + "." + baseDomain + ":" + strconv.Itoa(f.Port))
}

// Admin is an API client holding the admin bearer key.
func (f *Foyer) Admin() *Client {
	c := f.Client("localhost:" + strconv.Itoa(f.Port))
	c.Bearer = f.AdminKey
	c.Origin = ""
	return c
}

// Client returns a client that sends Host: host and behaves like a
// same-origin single-page app on http://host.
func (f *Foyer) Client(host string) *Client {
	return &Client{f: f, Host: host, Origin: "http://" + host, SecFetchSite: "same-origin", jar: map[string]*http.Cookie{}}
}

// Client speaks to one Foyer as a browser or an API client would. Cookies are
// kept by hand: net/http's jar drops Secure cookies over http, and the suite
// needs to see them.
type Client struct {
	f            *Foyer
	Host         string // Host header; the connection always goes to 127.0.0.1
	Origin       string // Origin sent on state-changing requests; "" sends none
	SecFetchSite string // Sec-Fetch-Site sent on every request; "" sends none
	Proto        string // X-Forwarded-Proto; "" sends none
	ForwardedFor string // X-Forwarded-For; "" sends none
	Bearer       string // Authorization: Bearer; "" sends none

	mu  sync.Mutex
	jar map[string]*http.Cookie
}

// Opt changes one request.
type Opt func(*http.Request)

// WithHeader sets a request header ("" removes it).
func WithHeader(k, v string) Opt {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
			return
		}
		r.Header.Set(k, v)
	}
}

// WithContentType overrides the Content-Type of a request body.
func WithContentType(ct string) Opt { return WithHeader("Content-Type", ct) }

// Response is a received answer, body read.
type Response struct {
	Status     int
	Header     http.Header
	Body       []byte
	SetCookies []*http.Cookie
}

// Envelope is the error body of every 4xx and 5xx answer.
type Envelope struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Details json.RawMessage `json:"details,omitempty"`
	Notices []string        `json:"notices,omitempty"`
}

// FieldError is one entry of details.fields.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Param string `json:"param,omitempty"`
}

// Do sends a request and fails t if it could not be sent or its response
// violates the spec. body: nil for none, []byte or string sent as is, else
// marshalled to JSON. A body is sent as application/json unless an Opt says
// otherwise.
func (c *Client) Do(t *testing.T, method, path string, body any, opts ...Opt) *Response {
	t.Helper()
	resp, err := c.TryDo(method, path, body, opts...)
	require.NoError(t, err, "%s %s", method, path)
	return resp
}

// TryDo is Do for goroutines other than the test's: it returns the error.
func (c *Client) TryDo(method, path string, body any, opts ...Opt) (*Response, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.f.URL+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Host = c.Host
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Origin != "" && method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("Origin", c.Origin)
	}
	if c.SecFetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", c.SecFetchSite)
	}
	if c.Proto != "" {
		req.Header.Set("X-Forwarded-Proto", c.Proto)
	}
	if c.ForwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.ForwardedFor)
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	if cookie := c.cookieHeader(); cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for _, o := range opts {
		o(req)
	}
	hr, err := c.f.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	b, err := io.ReadAll(hr.Body)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: hr.StatusCode, Header: hr.Header, Body: b}
	for _, line := range hr.Header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			return nil, fmt.Errorf("%s %s: unparsable Set-Cookie %q: %w", method, path, line, err)
		}
		resp.SetCookies = append(resp.SetCookies, ck)
	}
	c.keep(resp.SetCookies)
	return resp, nil
}

func (c *Client) cookieHeader() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := make([]string, 0, len(c.jar))
	for name, ck := range c.jar {
		parts = append(parts, name+"="+ck.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// keep applies Set-Cookie lines to the jar as a browser would: an empty
// value, a non-positive Max-Age or a past Expires deletes.
func (c *Client) keep(cookies []*http.Cookie) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ck := range cookies {
		expired := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
		if ck.Value == "" || expired {
			delete(c.jar, ck.Name)
			continue
		}
		c.jar[ck.Name] = ck
	}
}

// Cookie returns the value the client holds for name ("" if none).
func (c *Client) Cookie(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ck, ok := c.jar[name]; ok {
		return ck.Value
	}
	return ""
}

// SetCookie puts a cookie in the jar, as if the server had set it.
func (c *Client) SetCookie(name, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.jar[name] = &http.Cookie{Name: name, Value: value}
}

// Cookie returns the Set-Cookie of that name in the response, or nil.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, ck := range r.SetCookies {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// JSON decodes the body into v.
func (r *Response) JSON(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body %s", r.Body)
}

// Error decodes the body as the error envelope.
func (r *Response) Error(t *testing.T) Envelope {
	t.Helper()
	var e Envelope
	r.JSON(t, &e)
	return e
}

// Fields decodes details.fields of a guard.invalid_input answer.
func (e Envelope) Fields(t *testing.T) []FieldError {
	t.Helper()
	var d struct {
		Fields []FieldError `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(e.Details, &d), "details %s", e.Details)
	return d.Fields
}

// requireError asserts an error answer: its status and code.
func requireError(t *testing.T, r *Response, status int, code string) Envelope {
	t.Helper()
	require.Equal(t, status, r.Status, "status; body %s", r.Body)
	e := r.Error(t)
	require.Equal(t, code, e.Code, "code; body %s", r.Body)
	require.NotEmpty(t, e.Message)
	return e
}

// ixKey is the Redis key of an interaction.
func ixKey(id string) string { return "foyer:ix:{" + id + "}" }

// scanKeys returns every key matching pattern.
func (f *Foyer) scanKeys(t *testing.T, pattern string) []string {
	t.Helper()
	var keys []string
	iter := f.Redis.Scan(t.Context(), 0, pattern, 100).Iterator()
	for iter.Next(t.Context()) {
		keys = append(keys, iter.Val())
	}
	require.NoError(t, iter.Err())
	sort.Strings(keys)
	return keys
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomString(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
