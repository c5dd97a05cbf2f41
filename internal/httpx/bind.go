package httpx

import (
	"bytes"
	"errors"
	"mime"
	"reflect"
	"strings"
	"sync"

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
	// emptyValid remembers, per struct type, whether its zero value passes
	// validation: then an empty object ({}, what an options call sends on
	// the hot path) binds without running the validator.
	emptyValid sync.Map // reflect.Type -> bool
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
	// redirect_uri: where a browser may be sent (see SafeRedirect).
	_ = v.RegisterValidation("redirect_uri", func(fl validator.FieldLevel) bool {
		return SafeRedirect(fl.Field().String())
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
	var v T
	if !isJSON(c.Request().Header.ContentType()) {
		return v, ErrUnsupportedType
	}
	return decodeNew[T](b, Body(c))
}

// Decode is Bind without Fiber: the part that handles untrusted bytes, kept
// separate so it can be fuzzed. Decoding is strict (see decodeJSON): member
// names match exactly, an unknown or repeated member is refused, and every
// string must be valid UTF-8 without lone surrogate escapes.
func Decode[T any](b *Binder, contentType string, body []byte) (T, error) {
	if !IsJSON(contentType) {
		var v T
		return v, ErrUnsupportedType
	}
	return decodeNew[T](b, body)
}

// decodeNew decodes body into a new T. An empty object sets nothing, so it
// binds a struct whose zero value passes its rules without the validator
// once that has been checked (an options call sends {} on the hot path).
func decodeNew[T any](b *Binder, body []byte) (T, error) {
	var v T
	if t := reflect.TypeFor[T](); t.Kind() == reflect.Struct && string(bytes.TrimSpace(body)) == "{}" {
		ok, known := b.emptyValid.Load(t)
		if !known {
			ok = b.Validate(&v) == nil
			b.emptyValid.Store(t, ok)
		}
		if ok.(bool) {
			return v, nil
		}
	}
	err := DecodeInto(b, body, &v)
	return v, err
}

// DecodeInto decodes body strictly into *v, merging into what *v already
// holds (objects merge, arrays and scalars replace), then validates *v when
// it is a struct. The content type is the caller's business.
func DecodeInto[T any](b *Binder, body []byte, v *T) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return InvalidField("", "required", "body")
	}
	if err := decodeJSON(body, v, true); err != nil {
		return err
	}
	if reflect.TypeFor[T]().Kind() == reflect.Struct {
		return b.Validate(v)
	}
	return nil
}

// Peek reads the members of T from a JSON body that may hold others too (a
// discriminator such as {"type": ...} before the body is bound to the type
// it names), with the same exact, duplicate-free and UTF-8 rules as Bind, and
// validates them. The body is then bound in full with Bind.
func Peek[T any](c *fiber.Ctx, b *Binder) (T, error) {
	var v T
	if !isJSON(c.Request().Header.ContentType()) {
		return v, ErrUnsupportedType
	}
	body := Body(c)
	if len(bytes.TrimSpace(body)) == 0 {
		return v, InvalidField("", "required", "body")
	}
	if err := decodeJSON(body, &v, false); err != nil {
		return v, err
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
	if contentType == "application/json" {
		return true // what nearly every client sends: no parsing
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// isJSON is IsJSON on the header's bytes, without a copy in the common case.
func isJSON(contentType []byte) bool {
	if string(contentType) == "application/json" {
		return true
	}
	return IsJSON(string(contentType))
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
