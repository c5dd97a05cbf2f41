package httpx_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/foyer-auth/foyer/internal/httpx"
)

// fuzzInput has one field of every shape a Foyer body uses, including types
// with their own UnmarshalJSON (time.Time) and validator rules that dive.
type fuzzInput struct {
	Event      string            `json:"event" validate:"required,oneof=SignIn Register ForgotPassword"`
	Identifier *fuzzIdentifier   `json:"identifier"`
	Codes      []string          `json:"codes" validate:"max=10,dive,len=10"`
	Extensions map[string]any    `json:"extensions"`
	Raw        any               `json:"raw"`
	Counts     map[string]int    `json:"counts" validate:"max=4"`
	At         time.Time         `json:"at"`
	Timeout    uint32            `json:"timeout" validate:"max=600000"`
	Bytes      []byte            `json:"bytes"`
	Nested     []fuzzIdentifier  `json:"nested" validate:"dive"`
	Labels     map[string]string `json:"labels" validate:"dive,keys,min=1,endkeys,max=16"`
}

type fuzzIdentifier struct {
	Username string `json:"username" validate:"omitempty,min=1,max=64"`
	Email    string `json:"email" validate:"omitempty,email"`
	Password string `json:"password" validate:"required_with=Username"`
}

// FuzzDecode: Decode handles untrusted bytes, so for any body and content
// type it must not panic, and must fail only with a client error.
func FuzzDecode(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"event":"SignIn"}`},
		{"application/json; charset=utf-8", `{"event":"Register","identifier":{"username":"ann","password":"x"}}`},
		{"application/merge-patch+json", `{"event":"SignIn","codes":["0123456789"],"labels":{"a":"b"}}`},
		{"application/json", `{"event":"SignIn","at":"2024-01-01T00:00:00Z","bytes":"AAEC","timeout":60000}`},
		{"application/json", `{"event":"SignIn","at":"not a time"}`},
		{"application/json", `{"event":"SignIn","bytes":"!!!"}`},
		{"application/json", `{"event":"SignIn","timeout":-1}`},
		{"application/json", `{"event":"SignIn","timeout":1e400}`},
		{"application/json", `{"event":"SignIn","nested":[{"email":"x"},null]}`},
		{"application/json", `{"event":"SignIn","labels":{"":"x"}}`},
		{"application/json", `{"event":"SignIn","raw":[[[[[[{}]]]]]]}`},
		{"application/json", `{"event":"Sign\u0000In"}`},
		{"application/json", "{\"event\":\"\xff\xfe\"}"},
		{"application/json", `{"event":"SignIn"} {}`},
		{"application/json", `[`},
		{"application/json", `"SignIn"`},
		{"application/json", `null`},
		{"application/json", ``},
		{"text/plain", `{"event":"SignIn"}`},
		{"", ``},
		{"application/json; charset", `{}`},
		{"application/json; charset=\"", `{}`},
		{"application/json", `{"event":"SignIn","Event":"Register"}`},
		{"application/json", `{"event":"SignIn","event":"Register"}`},
		{"application/json", `{"event":"SignIn","identifier":{"username":"a","Password":"x"}}`},
		{"application/json", `{"event":"SignIn","identifier":{"password":"\ud800"}}`},
		{"application/json", `{"event":"SignIn","identifier":{"password":"\ud83d\ude00\\udc00"}}`},
		{"application/json", `{"event":"SignIn","labels":{"a":"1","a":"2"}}`},
		{"application/json", `{"event":"SignIn","unknown":{"deep":[{"x":1}]}}`},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	b := httpx.NewBinder()
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		_, err := httpx.Decode[fuzzInput](b, ct, body)
		if err == nil {
			if !utf8.Valid(body) {
				t.Fatalf("Decode(%q, %q): accepted invalid UTF-8", ct, body)
			}
			return
		}
		var apiErr *httpx.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("Decode(%q, %q): got %T %v, want *httpx.Error", ct, body, err, err)
		}
		if apiErr.Status < 400 || apiErr.Status > 499 {
			t.Fatalf("Decode(%q, %q): got status %d (%s), want 4xx", ct, body, apiErr.Status, apiErr.Code)
		}
	})
}

// FuzzSafeRedirect: whatever SafeRedirect accepts is printable ASCII without
// a backslash, and a path never starts with two slashes (a WHATWG parser
// would read another host there).
func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{"/", "/a", "//evil", "/\\evil", "/\t/evil", "https://a.example/x", "http://localhost:1/",
		"https://u@a.example", "javascript:x", "\x00", "/\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !httpx.SafeRedirect(s) {
			return
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
				t.Fatalf("SafeRedirect(%q): accepted byte %#x", s, c)
			}
		}
		if strings.HasPrefix(s, "//") {
			t.Fatalf("SafeRedirect(%q): accepted a scheme-relative URL", s)
		}
		if !strings.HasPrefix(s, "/") && !strings.HasPrefix(strings.ToLower(s), "https://") && !strings.HasPrefix(strings.ToLower(s), "http://") {
			t.Fatalf("SafeRedirect(%q): accepted another scheme", s)
		}
	})
}
