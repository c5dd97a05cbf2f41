package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const baseDomain = "foyer.test"

// sample is one request as the client saw it.
type sample struct {
	route      string
	status     int // 0: no answer (transport error)
	unexpected bool
	detail     string
	start, end time.Time
}

// recorder keeps every sample.
type recorder struct {
	mu      sync.Mutex
	samples []sample
}

func (r *recorder) add(s sample) {
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.mu.Unlock()
}

func (r *recorder) all() []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.samples)
}

// errOutage ends a flow that met a 503: the step may or may not have been
// applied, so the virtual user starts afresh rather than guess.
var errOutage = errors.New("503")

// errUnexpected is an answer the flow did not expect.
var errUnexpected = errors.New("unexpected answer")

// vu is one virtual user: a browser on the soak tenant.
type vu struct {
	base, host, origin string
	// clientIP is this visitor's own address, told to Foyer as a trusted
	// proxy would (X-Forwarded-For): real sign-ins come from many
	// addresses, and the per-address limits must see them apart. The
	// requests themselves go to 127.0.0.1 only.
	clientIP string
	hc       *http.Client
	rec      *recorder
	cookies  map[string]string
	bearer   string
}

// visitors numbers the visitors, for their addresses.
var visitors atomic.Uint32

func newVU(base, host, origin string, hc *http.Client, rec *recorder) *vu {
	n := visitors.Add(1)
	// 198.18.0.0/15 is set aside for benchmarks (RFC 2544): never routed,
	// here only a header value.
	ip := fmt.Sprintf("198.%d.%d.%d", 18+n>>16&1, n>>8&255, n&255)
	return &vu{base: base, host: host, origin: origin, hc: hc, rec: rec, cookies: map[string]string{}, clientIP: ip}
}

// call sends one request; route names it in the report. A status not in
// want is errUnexpected (503 is errOutage).
func (v *vu) call(ctx context.Context, method, path, route string, body any, want ...int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Host = v.host
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Forwarded-For", v.clientIP)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		if v.origin != "" {
			req.Header.Set("Origin", v.origin)
		}
	}
	if v.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+v.bearer)
	}
	var ck []string
	for k, val := range v.cookies {
		ck = append(ck, k+"="+val)
	}
	if len(ck) > 0 {
		req.Header.Set("Cookie", strings.Join(ck, "; "))
	}
	s := sample{route: method + " " + route, start: time.Now()}
	res, err := v.hc.Do(req)
	if err != nil {
		s.end = time.Now()
		if ctx.Err() != nil {
			return nil, ctx.Err() // the run is over: not Foyer's fault
		}
		s.unexpected, s.detail = true, err.Error()
		v.rec.add(s)
		return nil, fmt.Errorf("%s: %w", s.route, err)
	}
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	s.end, s.status = time.Now(), res.StatusCode
	for _, c := range res.Cookies() {
		if c.Value == "" || c.MaxAge < 0 {
			delete(v.cookies, c.Name)
		} else {
			v.cookies[c.Name] = c.Value
		}
	}
	switch {
	case err != nil:
		s.unexpected, s.detail = true, err.Error()
	case slices.Contains(want, res.StatusCode):
	case res.StatusCode == http.StatusServiceUnavailable:
		v.rec.add(s)
		return nil, errOutage
	default:
		s.unexpected, s.detail = true, fmt.Sprintf("%d %.200s (request %s)", res.StatusCode, b, res.Header.Get("X-Request-Id"))
	}
	v.rec.add(s)
	if s.unexpected {
		return nil, fmt.Errorf("%w: %s: %s", errUnexpected, s.route, s.detail)
	}
	return b, nil
}
