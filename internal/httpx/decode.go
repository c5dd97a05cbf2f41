package httpx

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Field rules of guard.invalid_input produced by decoding (the validator
// adds its own tags: required, oneof, max, ...).
const (
	RuleJSON      = "json"      // malformed, or more than one value
	RuleType      = "type"      // wrong JSON kind for the member
	RuleUnknown   = "unknown"   // a member the body's schema does not have
	RuleDuplicate = "duplicate" // a member given twice
	RuleUTF8      = "utf8"      // invalid UTF-8 or a lone surrogate escape (\ud800)
)

// maxFieldLen bounds a field path in an answer: an unknown member's name is
// the client's own text, echoed back only this far.
const maxFieldLen = 128

// decodeJSON decodes one JSON value from body into v.
//
// Unlike encoding/json (and goccy/go-json), which match member names
// case-insensitively, let a repeated member silently win and turn invalid
// UTF-8 and lone surrogates into U+FFFD, this refuses all three: a body that
// says {"event":"SignIn","Event":"Register"} means two different things to
// two parsers, and a password of "\ud800" would match every other lone
// surrogate. With strict set, a member the Go type does not have is refused
// too (every request schema in openapi.yaml is closed).
func decodeJSON(body []byte, v any, strict bool) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(strict))
	if err != nil {
		return decodeError(body, err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return InvalidField("", RuleJSON, "single value")
	}
	return nil
}

func decodeError(body []byte, err error) error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr // from a custom UnmarshalJSON: our own text
	}
	var semErr *json.SemanticError
	var synErr *jsontext.SyntacticError
	switch {
	case errors.As(err, &semErr):
		if errors.Is(semErr.Err, json.ErrUnknownName) {
			return InvalidField(fieldPath(semErr.JSONPointer), RuleUnknown, "")
		}
		field := fieldPath(semErr.JSONPointer)
		if field == "" {
			field = "(body)"
		}
		return InvalidField(field, RuleType, jsonKind(semErr.GoType))
	case errors.As(err, &synErr):
		switch {
		case errors.Is(synErr.Err, jsontext.ErrDuplicateName):
			return InvalidField(fieldPath(synErr.JSONPointer), RuleDuplicate, "")
		case invalidText(body):
			return InvalidField(fieldPath(synErr.JSONPointer), RuleUTF8, "")
		}
	}
	return InvalidField("", RuleJSON, "malformed")
}

// fieldPath turns a JSON pointer (/identifier/username, /tags/1) into the
// field path the validator uses (identifier.username, tags[1]).
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 32); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	s := b.String()
	if len(s) > maxFieldLen {
		s = strings.ToValidUTF8(s[:maxFieldLen], "") + "…"
	}
	return s
}

// invalidText reports whether body holds invalid UTF-8 or a \u escape of
// a surrogate that is not half of a pair. Only called once decoding has
// failed, to say why.
func invalidText(body []byte) bool {
	if !utf8.Valid(body) {
		return true
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 >= len(body) || body[i+1] != 'u' {
			i++ // a two-character escape such as \\ or \"
			continue
		}
		r, ok := hex4(body, i+2)
		if !ok {
			return false
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low surrogate with no high one before it
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := rune(0), false
			if i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				lo, ok = hex4(body, i+3)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(n), err == nil
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
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
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "object"
	}
}
