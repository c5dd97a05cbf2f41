package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Cookie names on a plain-http origin (dev mode). Over https they carry
// the __Host- prefix, which a loopback run never sees.
const (
	InteractionCookie = "foyer_ix"
	SessionCookie     = "foyer_session"
)

// NewClient returns an HTTP client for the Foyer serving origin
// (http://localhost:PORT or http://127.0.0.1:PORT). It dials 127.0.0.1:PORT
// whatever the host name resolves to ("localhost" may be ::1 first), keeps
// up to conns idle connections, and never follows a redirect.
func NewClient(origin string, conns int) (*http.Client, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("flows: origin: %w", err)
	}
	if u.Scheme != "http" || (u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1") || u.Port() == "" ||
		strings.TrimSuffix(u.Path, "/") != "" {
		return nil, fmt.Errorf("flows: origin %q: want http://localhost:PORT or http://127.0.0.1:PORT", origin)
	}
	addr := net.JoinHostPort("127.0.0.1", u.Port())
	var d net.Dialer
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "tcp4", addr)
			},
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// Browser is one visitor on a tenant's origin: its cookies and, when set,
// a hook run after every step the server accepted. It is not safe for
// concurrent use: a load generator gives each worker its own.
type Browser struct {
	hc      *http.Client
	origin  string
	cookies map[string]string
	// AfterStep, when not nil, is called after each step the server
	// accepted, with the step's name (the memory report reads the
	// interaction there).
	AfterStep func(step string)
}

// NewBrowser returns a Browser without cookies on origin, sending through
// hc (see NewClient).
func NewBrowser(hc *http.Client, origin string) *Browser {
	return &Browser{hc: hc, origin: strings.TrimSuffix(origin, "/"), cookies: map[string]string{}}
}

// Origin is the page origin the Browser sends, and the WebAuthn origin of
// its ceremonies.
func (b *Browser) Origin() string { return b.origin }

// Cookie is the value the Browser holds for name ("" if none).
func (b *Browser) Cookie(name string) string { return b.cookies[name] }

// Forget drops every cookie: the next flow is a new visitor's.
func (b *Browser) Forget() { clear(b.cookies) }

// Failure is a step the server refused, or that could not be sent.
type Failure struct {
	Step   string // "start", "profile", "submit", ...
	Status int    // 0: no answer
	Code   string // the error envelope's code, or what was wrong with the answer
}

func (f *Failure) Error() string {
	return fmt.Sprintf("%s: %d %s", f.Step, f.Status, f.Code)
}

// call sends one request as a same-origin page does and returns the body
// of an answer with status want. Every state-changing call carries
// Content-Type: application/json, even without a body (Foyer's CSRF rule).
func (b *Browser) call(ctx context.Context, step, method, path string, body []byte, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.origin+path, bytes.NewReader(body))
	if err != nil {
		return nil, &Failure{Step: step, Code: err.Error()}
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.origin)
	}
	if len(b.cookies) > 0 {
		var sb strings.Builder
		for name, value := range b.cookies {
			if sb.Len() > 0 {
				sb.WriteString("; ")
			}
			sb.WriteString(name + "=" + value)
		}
		req.Header.Set("Cookie", sb.String())
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, &Failure{Step: step, Code: err.Error()}
	}
	raw, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	if err != nil {
		return nil, &Failure{Step: step, Status: resp.StatusCode, Code: err.Error()}
	}
	if resp.StatusCode != want {
		var env struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(raw, &env) != nil || env.Code == "" {
			env.Code = fmt.Sprintf("%.80q", raw)
		}
		return nil, &Failure{Step: step, Status: resp.StatusCode, Code: env.Code}
	}
	if b.AfterStep != nil {
		b.AfterStep(step)
	}
	return raw, nil
}
