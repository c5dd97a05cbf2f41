package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/url"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"
)

// embedded names an embedded struct in validator paths, to be cut out.
const embedded = "\x00"

// Binder parses and validates request bodies. One is built at start-up and
// shared: validator.Validate caches struct metadata and is safe for
// concurrent use.
type Binder struct {
	v *validator.Validate
}

// NewBinder builds the validator, naming fields by their JSON tags so that
// errors name what the client sent.
func NewBinder() *Binder {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		if f.Anonymous && f.Tag.Get("json") == "" {
			return embedded // encoding/json flattens it; so must the field path
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	// redirect_uri: an absolute http(s) URL, or a path on this host ("/x",
	// never "//x" or "/\x", which browsers treat as another host).
	_ = v.RegisterValidation("redirect_uri", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		if strings.HasPrefix(s, "/") {
			return !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\")
		}
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
	})
	return &Binder{v: v}
}

// Validate checks a value against its `validate` tags.
func (b *Binder) Validate(v any) error {
	if err := b.v.Struct(v); err != nil {
		return validationError(err)
	}
	return nil
}

// FieldError names one field that broke one rule. Value is never included:
// it may be a password.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Param string `json:"param,omitempty"`
}

// FieldDetails is the details object of guard.invalid_input.
type FieldDetails struct {
	Fields []FieldError `json:"fields"`
}

// InvalidField is a guard.invalid_input error for one field.
func InvalidField(field, rule, param string) *Error {
	return ErrInvalidInput.WithDetails(FieldDetails{Fields: []FieldError{{Field: field, Rule: rule, Param: param}}})
}

// Bind parses the request body as JSON into a T and validates it.
func Bind[T any](c *fiber.Ctx, b *Binder) (T, error) {
	return Decode[T](b, c.Get(fiber.HeaderContentType), c.Body())
}

// Decode is Bind without Fiber: the part that handles untrusted bytes, kept
// separate so it can be fuzzed.
func Decode[T any](b *Binder, contentType string, body []byte) (T, error) {
	var v T
	if !IsJSON(contentType) {
		return v, ErrUnsupportedType
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return v, InvalidField("", "required", "body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, InvalidField("", "json", "single value")
	}
	if rv := reflect.ValueOf(&v).Elem(); rv.Kind() == reflect.Struct {
		if err := b.Validate(&v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// IsJSON reports whether a Content-Type names JSON (application/json or a
// +json type), ignoring parameters such as charset.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		return InvalidField(field, "type", jsonKind(typeErr.Type))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return InvalidField("", "json", "malformed")
	default:
		// Errors from custom UnmarshalJSON methods: their text is ours, not
		// the client's, but keep the answer generic all the same.
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return apiErr
		}
		return InvalidField("", "json", "invalid")
	}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

func validationError(err error) error {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return ErrInvalidInput.WithCause(err)
	}
	fields := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		// Namespace is "Type.field.sub"; drop the type so the path is what
		// the client sent.
		ns := strings.ReplaceAll(fe.Namespace(), embedded+".", "")
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		fields = append(fields, FieldError{Field: ns, Rule: fe.Tag(), Param: fe.Param()})
	}
	return ErrInvalidInput.WithDetails(FieldDetails{Fields: fields})
}

// PrefixFields returns err with prefix put before every field name in its
// guard.invalid_input details (for bodies nested inside others).
func PrefixFields(err error, prefix string) error {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return err
	}
	d, ok := apiErr.Details.(FieldDetails)
	if !ok {
		return err
	}
	fields := make([]FieldError, len(d.Fields))
	for i, f := range d.Fields {
		f.Field = strings.TrimSuffix(prefix+f.Field, ".")
		fields[i] = f
	}
	return apiErr.WithDetails(FieldDetails{Fields: fields})
}
