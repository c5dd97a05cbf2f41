package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBadInput sends malformed, mistyped, oversized, wrongly typed and
// cross-site requests to every state-changing interaction call. Each answer
// is a 4xx envelope whose code (and, for invalid input, details.fields) names
// the problem; none is a 5xx; none echoes the submitted value; and the
// interaction in Redis is untouched.
func TestBadInput(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	id := start(t, c, "SignIn")
	v0, _ := f.storedIx(t, id)

	const canary = "c4n4ry-Zq8"
	self := "http://localhost:" + strconv.Itoa(f.Port)
	oversize := `{"event":"SignIn","pad":"` + strings.Repeat(canary, 70<<10/len(canary)) + `"}`
	require.Greater(t, len(oversize), 64<<10)

	tests := []struct {
		name   string
		body   any
		opts   []Opt
		status int
		code   string
		field  string // details.fields[].field expected, for guard.invalid_input
		rule   string
	}{
		{name: "malformed JSON", body: `{"event": "` + canary, status: 400, code: "guard.invalid_input", field: "", rule: "json"},
		{name: "not JSON at all", body: canary, status: 400, code: "guard.invalid_input", field: "", rule: "json"},
		{name: "two JSON values", body: `{"event":"SignIn"} {"event":"` + canary + `"}`, status: 400, code: "guard.invalid_input", field: "", rule: "json"},
		{name: "empty body", body: "", status: 400, code: "guard.invalid_input", rule: "required"},
		{name: "event is a number", body: `{"event": 5}`, status: 400, code: "guard.invalid_input", field: "event", rule: "type"},
		{name: "event is an object", body: `{"event": {"x": "` + canary + `"}}`, status: 400, code: "guard.invalid_input", field: "event", rule: "type"},
		{name: "event is null", body: `{"event": null}`, status: 400, code: "guard.invalid_input", field: "event", rule: "required"},
		{name: "body is an array", body: `["` + canary + `"]`, status: 400, code: "guard.invalid_input", rule: "type"},
		{name: "missing event", body: `{}`, status: 400, code: "guard.invalid_input", field: "event", rule: "required"},
		{name: "unknown event", body: `{"event": "` + canary + `"}`, status: 400, code: "guard.invalid_input", field: "event", rule: "oneof"},
		{name: "event in wrong case", body: `{"event": "signin"}`, status: 400, code: "guard.invalid_input", field: "event", rule: "oneof"},
		// The server reads bodies up to 1 MiB before refusing them, so even a
		// client that writes the whole body first gets the 413, not a reset.
		{name: "oversize body", body: oversize, status: 413, code: "guard.payload_too_large"},
		{name: "text/plain", body: `{"event":"SignIn"}`, opts: []Opt{WithContentType("text/plain")}, status: 415, code: "guard.invalid_content_type"},
		{name: "form", body: "event=" + canary, opts: []Opt{WithContentType("application/x-www-form-urlencoded")}, status: 415, code: "guard.invalid_content_type"},
		{name: "no content type", body: `{"event":"SignIn"}`, opts: []Opt{WithContentType("")}, status: 415, code: "guard.invalid_content_type"},
		{name: "cross-site Origin", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", "https://evil.example")}, status: 403, code: "guard.cross_site_request"},
		{name: "look-alike Origin", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", "http://localhost.evil.example")}, status: 403, code: "guard.cross_site_request"},
		{name: "null Origin", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", "null")}, status: 403, code: "guard.cross_site_request"},
		{name: "Origin with userinfo", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", "http://user@localhost:"+strconv.Itoa(f.Port))}, status: 403, code: "guard.cross_site_request"},
		{name: "Origin with empty userinfo", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", "http://@localhost:"+strconv.Itoa(f.Port))}, status: 403, code: "guard.cross_site_request"},
		{name: "multipart", body: `{"event":"SignIn"}`, opts: []Opt{WithContentType("multipart/form-data; boundary=x")}, status: 415, code: "guard.invalid_content_type"},
		{name: "unknown member", body: `{"event":"SignIn","pad":"` + canary + `"}`, status: 400, code: "guard.invalid_input", field: "pad", rule: "unknown"},
		{name: "member in another case", body: `{"event":"SignIn","Event":"` + canary + `"}`, status: 400, code: "guard.invalid_input", field: "Event", rule: "unknown"},
		{name: "repeated member", body: `{"event":"SignIn","event":"` + canary + `"}`, status: 400, code: "guard.invalid_input", field: "event", rule: "duplicate"},
		{name: "Origin with a path", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", self+"/x")}, status: 403, code: "guard.cross_site_request"},
		{name: "Sec-Fetch-Site cross-site", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", ""), WithHeader("Sec-Fetch-Site", "cross-site")}, status: 403, code: "guard.cross_site_request"},
		{name: "Sec-Fetch-Site same-site", body: `{"event":"SignIn"}`, opts: []Opt{WithHeader("Origin", ""), WithHeader("Sec-Fetch-Site", "same-site")}, status: 403, code: "guard.cross_site_request"},
	}
	for _, path := range []string{"/api/interaction", "/api/interaction/event"} {
		for _, tt := range tests {
			t.Run("PUT "+path+"/"+tt.name, func(t *testing.T) {
				r := c.Do(t, http.MethodPut, path, tt.body, tt.opts...)
				require.Less(t, r.Status, 500, "never 5xx; body %s", r.Body)
				e := requireError(t, r, tt.status, tt.code)
				require.NotContains(t, string(r.Body), canary, "the answer echoes the submitted value")
				require.Empty(t, r.SetCookies, "a refused call sets no cookie")
				if tt.code == "guard.invalid_input" {
					fields := e.Fields(t)
					require.NotEmpty(t, fields)
					require.Equal(t, tt.rule, fields[0].Rule, "details.fields %+v", fields)
					if tt.field != "" || tt.rule == "json" {
						require.Equal(t, tt.field, fields[0].Field, "details.fields %+v", fields)
					}
				}
			})
		}
	}

	// DELETE is guarded too: a cross-site page must not abandon the interaction.
	deletes := []struct {
		name   string
		body   any
		opts   []Opt
		status int
		code   string
	}{
		{"cross-site Origin", nil, []Opt{WithHeader("Origin", "https://evil.example")}, 403, "guard.cross_site_request"},
		{"Sec-Fetch-Site cross-site", nil, []Opt{WithHeader("Origin", ""), WithHeader("Sec-Fetch-Site", "cross-site")}, 403, "guard.cross_site_request"},
		{"text/plain body", "x=" + canary, []Opt{WithContentType("text/plain")}, 415, "guard.invalid_content_type"},
	}
	for _, tt := range deletes {
		t.Run("DELETE /api/interaction/"+tt.name, func(t *testing.T) {
			r := c.Do(t, http.MethodDelete, "/api/interaction", tt.body, tt.opts...)
			requireError(t, r, tt.status, tt.code)
			require.NotContains(t, string(r.Body), canary)
			require.Empty(t, r.SetCookies)
		})
	}

	v, doc := f.storedIx(t, id)
	require.Equal(t, v0, v, "no refused call may write")
	require.Equal(t, "SignIn", doc.Event)
	require.Equal(t, []string{ixKey(id)}, f.scanKeys(t, "foyer:ix:*"), "no refused call may create an interaction")
	require.NotContains(t, f.Log(), canary, "submitted values must not be logged")
}

// TestCompressedBodyRefused: a body with a Content-Encoding other than
// identity is 415 before anything reads it (inflated, it could exceed the
// body limit); identity is a plain body.
func TestCompressedBodyRefused(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	for _, enc := range []string{"gzip", "deflate", "br", "gzip, identity"} {
		c := f.Demo()
		r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"}, WithHeader("Content-Encoding", enc))
		requireError(t, r, http.StatusUnsupportedMediaType, "guard.invalid_content_type")
		require.Nil(t, r.Cookie("foyer_ix"), "%s: nothing started", enc)
	}
	c := f.Demo()
	r := c.Do(t, http.MethodPut, "/api/interaction", map[string]string{"event": "SignIn"}, WithHeader("Content-Encoding", "identity"))
	require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
}
