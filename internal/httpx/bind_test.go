package httpx_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

// secret looks like something a client must never see echoed back.
const secret = "hunter2-S3CR3T-do-not-echo"

type profile struct {
	Name string `json:"name" validate:"omitempty,max=8"`
	Age  int    `json:"age" validate:"min=0,max=150"`
}

// input is shaped like the interaction API's bodies.
type input struct {
	Event    string   `json:"event" validate:"required,oneof=SignIn Register ForgotPassword"`
	Password string   `json:"password" validate:"omitempty,min=8"`
	Count    int      `json:"count"`
	Flag     bool     `json:"flag"`
	Tags     []string `json:"tags" validate:"max=3,dive,min=1"`
	Profile  *profile `json:"profile"`
	Internal string   `json:"-"`
}

func fields(t *testing.T, err error) []httpx.FieldError {
	t.Helper()
	var apiErr *httpx.Error
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.Status)
	require.Equal(t, "guard.invalid_input", apiErr.Code)
	d, ok := apiErr.Details.(httpx.FieldDetails)
	require.True(t, ok, "details: got %T, want httpx.FieldDetails", apiErr.Details)
	return d.Fields
}

func TestDecode(t *testing.T) {
	const ct = "application/json"
	tests := []struct {
		name string
		ct   string
		body string
		want []httpx.FieldError // nil: success
	}{
		{"valid", ct, `{"event":"SignIn"}`, nil},
		{"valid with everything", ct, `{"event":"Register","password":"longenough","count":3,"flag":true,"tags":["a"],"profile":{"name":"ann","age":30}}`, nil},
		{"unknown member", ct, `{"event":"SignIn","extra":{"x":[1,2]}}`, []httpx.FieldError{{Field: "extra", Rule: "unknown"}}},
		{"unknown nested member", ct, `{"event":"SignIn","profile":{"name":"a","nick":"b"}}`, []httpx.FieldError{{Field: "profile.nick", Rule: "unknown"}}},
		{"member in another case", ct, `{"event":"SignIn","Event":"Register"}`, []httpx.FieldError{{Field: "Event", Rule: "unknown"}}},
		{"member only in another case", ct, `{"EVENT":"SignIn"}`, []httpx.FieldError{{Field: "EVENT", Rule: "unknown"}}},
		{"duplicate member", ct, `{"event":"SignIn","event":"Register"}`, []httpx.FieldError{{Field: "event", Rule: "duplicate"}}},
		{"duplicate nested member", ct, `{"event":"SignIn","profile":{"age":1,"age":2}}`, []httpx.FieldError{{Field: "profile.age", Rule: "duplicate"}}},
		{"long unknown member is cut", ct, `{"event":"SignIn","` + strings.Repeat("x", 300) + `":1}`, []httpx.FieldError{{Field: strings.Repeat("x", 128) + "…", Rule: "unknown"}}},
		{"lone high surrogate", ct, `{"event":"SignIn","password":"abc\ud800defgh"}`, []httpx.FieldError{{Field: "password", Rule: "utf8"}}},
		{"lone low surrogate", ct, `{"event":"SignIn","password":"\udc00abcdefgh"}`, []httpx.FieldError{{Field: "password", Rule: "utf8"}}},
		{"reversed surrogates", ct, `{"event":"SignIn","password":"\ude00\ud83dabcdefgh"}`, []httpx.FieldError{{Field: "password", Rule: "utf8"}}},
		{"invalid UTF-8", ct, "{\"event\":\"SignIn\",\"password\":\"abc\xffdefgh\"}", []httpx.FieldError{{Field: "password", Rule: "utf8"}}},
		{"surrogate pair", ct, `{"event":"SignIn","password":"\ud83d\ude00abcdefgh"}`, nil},
		{"escaped backslash before u", ct, `{"event":"SignIn","password":"\\ud800abcdefgh"}`, nil},
		{"trailing whitespace", ct, "{\"event\":\"SignIn\"}\r\n\t ", nil},
		{"charset param", "application/json; charset=utf-8", `{"event":"SignIn"}`, nil},
		{"upper case type", "Application/JSON", `{"event":"SignIn"}`, nil},
		{"+json type", "application/merge-patch+json", `{"event":"SignIn"}`, nil},
		{"ignored field is unknown", ct, `{"event":"SignIn","Internal":"x"}`, []httpx.FieldError{{Field: "Internal", Rule: "unknown"}}},

		{"empty body", ct, ``, []httpx.FieldError{{Field: "", Rule: "required", Param: "body"}}},
		{"blank body", ct, " \n\t", []httpx.FieldError{{Field: "", Rule: "required", Param: "body"}}},
		{"malformed", ct, `{"event":`, []httpx.FieldError{{Field: "", Rule: "json", Param: "malformed"}}},
		{"malformed secret", ct, `{"password":"` + secret + `"`, []httpx.FieldError{{Field: "", Rule: "json", Param: "malformed"}}},
		{"bad token", ct, `{"event": SignIn}`, []httpx.FieldError{{Field: "", Rule: "json", Param: "malformed"}}},
		{"trailing object", ct, `{"event":"SignIn"} {"event":"Register"}`, []httpx.FieldError{{Field: "", Rule: "json", Param: "single value"}}},
		{"trailing garbage", ct, `{"event":"SignIn"}x`, []httpx.FieldError{{Field: "", Rule: "json", Param: "single value"}}},
		{"trailing bracket", ct, `{"event":"SignIn"}]`, []httpx.FieldError{{Field: "", Rule: "json", Param: "single value"}}},

		{"string for number", ct, `{"event":"SignIn","count":"` + secret + `"}`, []httpx.FieldError{{Field: "count", Rule: "type", Param: "number"}}},
		{"number for string", ct, `{"event":12}`, []httpx.FieldError{{Field: "event", Rule: "type", Param: "string"}}},
		{"string for bool", ct, `{"event":"SignIn","flag":"yes"}`, []httpx.FieldError{{Field: "flag", Rule: "type", Param: "boolean"}}},
		{"object for array", ct, `{"event":"SignIn","tags":{}}`, []httpx.FieldError{{Field: "tags", Rule: "type", Param: "array"}}},
		{"nested wrong type", ct, `{"event":"SignIn","profile":{"age":"` + secret + `"}}`, []httpx.FieldError{{Field: "profile.age", Rule: "type", Param: "number"}}},
		{"array body", ct, `["SignIn"]`, []httpx.FieldError{{Field: "(body)", Rule: "type", Param: "object"}}},
		{"fraction for int", ct, `{"event":"SignIn","count":1.5}`, []httpx.FieldError{{Field: "count", Rule: "type", Param: "number"}}},

		{"missing event", ct, `{}`, []httpx.FieldError{{Field: "event", Rule: "required"}}},
		{"null body", ct, `null`, []httpx.FieldError{{Field: "event", Rule: "required"}}},
		{"unknown event", ct, `{"event":"` + secret + `"}`, []httpx.FieldError{{Field: "event", Rule: "oneof", Param: "SignIn Register ForgotPassword"}}},
		{"short password", ct, `{"event":"SignIn","password":"short"}`, []httpx.FieldError{{Field: "password", Rule: "min", Param: "8"}}},
		{"nested rule", ct, `{"event":"SignIn","profile":{"name":"` + secret + `"}}`, []httpx.FieldError{{Field: "profile.name", Rule: "max", Param: "8"}}},
		{"dive", ct, `{"event":"SignIn","tags":["a",""]}`, []httpx.FieldError{{Field: "tags[1]", Rule: "min", Param: "1"}}},
		{"several at once", ct, `{"event":"Nope","password":"short"}`, []httpx.FieldError{
			{Field: "event", Rule: "oneof", Param: "SignIn Register ForgotPassword"},
			{Field: "password", Rule: "min", Param: "8"},
		}},
	}
	b := httpx.NewBinder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpx.Decode[input](b, tt.ct, []byte(tt.body))
			if tt.want == nil {
				require.NoError(t, err)
				require.NotEmpty(t, got.Event)
				require.Empty(t, got.Internal)
				return
			}
			require.Equal(t, tt.want, fields(t, err))
			require.NotContains(t, err.Error(), secret)
		})
	}
}

func TestDecodeContentType(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"application/json;charset=UTF-8", true},
		{"application/vnd.foyer+json", true},
		{"", false},
		{"text/plain", false},
		{"text/plain; charset=utf-8", false},
		{"application/x-www-form-urlencoded", false},
		{"multipart/form-data; boundary=x", false},
		{"application/jsonx", false},
		{"text/json", false},
		{"application/+json-ish", false},
		{"application/json; charset", false}, // malformed parameter
		{"json", false},
	}
	b := httpx.NewBinder()
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			_, err := httpx.Decode[input](b, tt.ct, []byte(`{"event":"SignIn"}`))
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var apiErr *httpx.Error
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, http.StatusUnsupportedMediaType, apiErr.Status)
			require.Equal(t, "guard.invalid_content_type", apiErr.Code)
		})
	}
}

// newApp is a Fiber app configured as cmd/foyer configures it, with a
// logger whose output the test can read.
func newApp(t *testing.T, mappings ...httpx.Mapping) (*fiber.App, *strings.Builder) {
	t.Helper()
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	app := fiber.New(fiber.Config{Immutable: true, ErrorHandler: httpx.ErrorHandler(log, mappings...), DisableStartupMessage: true})
	app.Use(httpx.RequestContext(time.Second))
	return app, &logs
}

type response struct {
	status int
	header http.Header
	body   string
	env    map[string]any
}

func do(t *testing.T, app *fiber.App, req *http.Request) response {
	t.Helper()
	res, err := app.Test(req, -1)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	r := response{status: res.StatusCode, header: res.Header, body: string(raw)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &r.env), "body %s", raw)
	}
	return r
}

func TestBindRendersFieldErrorsWithoutEchoingInput(t *testing.T) {
	app, _ := newApp(t)
	b := httpx.NewBinder()
	app.Post("/in", func(c *fiber.Ctx) error {
		in, err := httpx.Bind[input](c, b)
		if err != nil {
			return err
		}
		return c.JSON(in)
	})
	bodies := []string{
		`{"event":"SignIn","count":"` + secret + `"}`,
		`{"event":"` + secret + `"}`,
		`{"event":"SignIn","profile":{"name":"` + secret + `"}}`,
		`{"event":"SignIn","password":"` + secret,
		`{"event":"SignIn"}` + secret,
	}
	for _, body := range bodies {
		req := httptest.NewRequest(http.MethodPost, "/in", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res := do(t, app, req)
		require.Equal(t, http.StatusBadRequest, res.status, res.body)
		require.Equal(t, "guard.invalid_input", res.env["code"])
		require.NotEmpty(t, res.env["message"])
		require.Contains(t, res.env, "details")
		require.NotContains(t, res.body, secret)
		require.NotContains(t, res.body, "hunter2")
	}

	req := httptest.NewRequest(http.MethodPost, "/in", strings.NewReader(`{"event":"SignIn"}`))
	req.Header.Set("Content-Type", "text/plain")
	res := do(t, app, req)
	require.Equal(t, http.StatusUnsupportedMediaType, res.status)
	require.Equal(t, "guard.invalid_content_type", res.env["code"])
}

var errStorage = errors.New("storage: connection refused to 10.0.0.7 password=" + secret)

func TestErrorHandler(t *testing.T) {
	app, logs := newApp(t, httpx.MapIs(errStorage, httpx.ErrUnavailable))
	app.Get("/invalid", func(c *fiber.Ctx) error {
		return httpx.InvalidField("event", "oneof", "SignIn Register")
	})
	app.Get("/plain", func(c *fiber.Ctx) error { return httpx.ErrCrossSite })
	app.Get("/wrapped", func(c *fiber.Ctx) error {
		return errors.Join(errors.New("context"), httpx.ErrCrossSite)
	})
	app.Get("/notices", func(c *fiber.Ctx) error {
		e := *httpx.ErrInvalidInput
		e.Notices = []string{"password.weak"}
		return &e
	})
	app.Get("/boom", func(c *fiber.Ctx) error { return errors.New("db password=" + secret) })
	app.Get("/panic-free-500", func(c *fiber.Ctx) error {
		return httpx.ErrInternal.WithCause(errors.New(secret))
	})
	app.Get("/mapped", func(c *fiber.Ctx) error { return errors.Join(errors.New("load"), errStorage) })
	app.Get("/limited", func(c *fiber.Ctx) error {
		return httpx.ErrTooMany.WithRetryAfter(1500 * time.Millisecond)
	})
	app.Get("/fiber400", func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusBadRequest, secret) })
	app.Get("/fiber413", func(c *fiber.Ctx) error { return fiber.ErrRequestEntityTooLarge })

	tests := []struct {
		path       string
		status     int
		code       string
		details    bool
		retryAfter string
		logged     bool
	}{
		{"/invalid", 400, "guard.invalid_input", true, "", false},
		{"/plain", 403, "guard.cross_site_request", false, "", false},
		{"/wrapped", 403, "guard.cross_site_request", false, "", false},
		{"/notices", 400, "guard.invalid_input", false, "", false},
		{"/boom", 500, "internal_error", false, "", true},
		{"/panic-free-500", 500, "internal_error", false, "", true},
		{"/mapped", 503, "storage.unavailable", false, "", true},
		{"/limited", 429, "guard.too_many_requests", false, "2", false},
		{"/fiber400", 400, "request.invalid", false, "", false},
		{"/fiber413", 413, "guard.payload_too_large", false, "", false},
		{"/no-such-route", 404, "request.not_found", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := logs.Len()
			res := do(t, app, httptest.NewRequest(http.MethodGet, tt.path, nil))
			require.Equal(t, tt.status, res.status, res.body)
			require.Equal(t, "application/json", strings.Split(res.header.Get("Content-Type"), ";")[0])
			require.Equal(t, "no-store", res.header.Get("Cache-Control"))
			require.Equal(t, tt.code, res.env["code"])
			msg, _ := res.env["message"].(string)
			require.NotEmpty(t, msg)
			require.Equal(t, tt.retryAfter, res.header.Get("Retry-After"))
			_, hasDetails := res.env["details"]
			require.Equal(t, tt.details, hasDetails)
			for k := range res.env {
				require.Contains(t, []string{"code", "message", "details", "notices"}, k)
			}
			require.NotContains(t, res.body, secret)
			require.NotContains(t, res.body, "10.0.0.7")

			logged := logs.String()[before:]
			if !tt.logged {
				require.Empty(t, logged)
				return
			}
			// Logged exactly once, with the request id the client saw.
			require.Equal(t, 1, strings.Count(logged, "\n"), logged)
			var entry map[string]any
			require.NoError(t, json.Unmarshal([]byte(logged), &entry))
			require.Equal(t, "request failed", entry["msg"])
			require.Equal(t, tt.code, entry["code"])
			require.NotEmpty(t, res.header.Get("X-Request-Id"))
			require.Equal(t, res.header.Get("X-Request-Id"), entry["request_id"])
			require.NotEmpty(t, entry["error"])
		})
	}

	t.Run("details shape", func(t *testing.T) {
		res := do(t, app, httptest.NewRequest(http.MethodGet, "/invalid", nil))
		require.Equal(t, map[string]any{"fields": []any{map[string]any{"field": "event", "rule": "oneof", "param": "SignIn Register"}}}, res.env["details"])
	})
	t.Run("notices shape", func(t *testing.T) {
		res := do(t, app, httptest.NewRequest(http.MethodGet, "/notices", nil))
		require.Equal(t, []any{"password.weak"}, res.env["notices"])
	})
}

func TestErrorTemplatesAreNotMutated(t *testing.T) {
	d := httpx.ErrInvalidInput.WithDetails("x")
	c := httpx.ErrInvalidInput.WithCause(errors.New("y"))
	r := httpx.ErrTooMany.WithRetryAfter(time.Second)
	require.Nil(t, httpx.ErrInvalidInput.Details)
	require.NoError(t, httpx.ErrInvalidInput.Cause)
	require.Zero(t, httpx.ErrTooMany.RetryAfter)
	require.ErrorIs(t, d, httpx.ErrInvalidInput)
	require.ErrorIs(t, c, httpx.ErrInvalidInput)
	require.ErrorIs(t, r, httpx.ErrTooMany)
	require.NotErrorIs(t, d, httpx.ErrCrossSite)
}

func TestRequestContextTimeout(t *testing.T) {
	app := fiber.New(fiber.Config{Immutable: true, ErrorHandler: httpx.ErrorHandler(slog.New(slog.DiscardHandler)), DisableStartupMessage: true})
	app.Use(httpx.RequestContext(20 * time.Millisecond))
	app.Get("/slow", func(c *fiber.Ctx) error {
		<-c.UserContext().Done()
		return c.UserContext().Err()
	})
	res := do(t, app, httptest.NewRequest(http.MethodGet, "/slow", nil))
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Equal(t, "request.timeout", res.env["code"])
}

func TestPeek(t *testing.T) {
	type kind struct {
		Type string `json:"type" validate:"required,oneof=a b"`
	}
	app, _ := newApp(t)
	b := httpx.NewBinder()
	app.Post("/in", func(c *fiber.Ctx) error {
		k, err := httpx.Peek[kind](c, b)
		if err != nil {
			return err
		}
		return c.SendString(k.Type)
	})
	tests := []struct {
		body   string
		status int
		want   string
	}{
		{`{"type":"a","code":"123"}`, 200, "a"},
		{`{"code":"123","type":"b"}`, 200, "b"},
		{`{"Type":"a","type":"b"}`, 200, "b"}, // exact names: "Type" is another member
		{`{"type":"a","type":"b"}`, 400, "duplicate"},
		{`{"type":"c"}`, 400, "oneof"},
		{`{"type":"a","x":"\ud800"}`, 400, "utf8"},
		{`{"TYPE":"a"}`, 400, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/in", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			res := do(t, app, req)
			require.Equal(t, tt.status, res.status, res.body)
			if tt.status == 200 {
				require.Equal(t, tt.want, res.body)
				return
			}
			fields := res.env["details"].(map[string]any)["fields"].([]any)
			require.Equal(t, tt.want, fields[0].(map[string]any)["rule"])
		})
	}
}

func TestDecodeIntoMerges(t *testing.T) {
	type inner struct {
		A string `json:"a"`
		B string `json:"b"`
	}
	type doc struct {
		Name  string   `json:"name" validate:"max=4"`
		List  []string `json:"list"`
		Inner inner    `json:"inner"`
		Ptr   *inner   `json:"ptr"`
	}
	b := httpx.NewBinder()
	cur := doc{Name: "x", List: []string{"1", "2"}, Inner: inner{A: "a", B: "b"}, Ptr: &inner{A: "pa"}}
	require.NoError(t, httpx.DecodeInto(b, []byte(`{"list":["3"],"inner":{"b":"B"},"ptr":{"b":"pb"}}`), &cur))
	require.Equal(t, doc{Name: "x", List: []string{"3"}, Inner: inner{A: "a", B: "B"}, Ptr: &inner{A: "pa", B: "pb"}}, cur)
	require.NoError(t, httpx.DecodeInto(b, []byte(`{"ptr":null}`), &cur))
	require.Nil(t, cur.Ptr)

	err := httpx.DecodeInto(b, []byte(`{"inner":{"A":"z"}}`), &cur)
	require.Equal(t, []httpx.FieldError{{Field: "inner.A", Rule: "unknown"}}, fields(t, err))
	err = httpx.DecodeInto(b, []byte(`{"name":"toolong"}`), &cur)
	require.Equal(t, []httpx.FieldError{{Field: "name", Rule: "max", Param: "4"}}, fields(t, err))
}

// TestDecodeEmptyObject: {} binds a struct whose zero value passes its
// rules without validating again, and still fails one that needs a field,
// the second time as the first.
func TestDecodeEmptyObject(t *testing.T) {
	b := httpx.NewBinder()
	for range 2 {
		p, err := httpx.Decode[profile](b, "application/json", []byte(" {} "))
		require.NoError(t, err)
		require.Zero(t, p)
		_, err = httpx.Decode[input](b, "application/json", []byte("{}"))
		require.Equal(t, []httpx.FieldError{{Field: "event", Rule: "required"}}, fields(t, err))
	}
}
