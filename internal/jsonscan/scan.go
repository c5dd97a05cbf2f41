package jsonscan

import (
	"encoding/base64"
	"errors"
	"strconv"
	"time"
	"unsafe"
)

var (
	errSyntax = errors.New("jsonscan: invalid JSON")
	errType   = errors.New("jsonscan: value of the wrong type")
	errRange  = errors.New("jsonscan: number out of range")
)

// Scanner reads one JSON text. Errors are sticky: after the first, every
// read answers a zero value and loops end, so a decoder checks Finish once
// at the end. The zero Scanner scans an empty input; Reset gives it one.
type Scanner struct {
	data []byte
	pos  int
	err  error
	// open is set right after '{' or '[': the next member or element is
	// the first, so no comma may precede it.
	open  bool
	depth int
}

// Reset makes s scan data from the start.
func (s *Scanner) Reset(data []byte) {
	*s = Scanner{data: data}
}

// Err is the first error met, if any.
func (s *Scanner) Err() error { return s.err }

// Finish checks that only whitespace follows the value read, and answers
// the first error met.
func (s *Scanner) Finish() error {
	if s.err == nil && space(s.data, s.pos) < len(s.data) {
		s.fail(errSyntax)
	}
	return s.err
}

func (s *Scanner) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.pos = len(s.data) // nothing more to read: every loop ends
}

// peek moves past whitespace and answers the first byte of the next
// token, 0 at the end.
func (s *Scanner) peek() byte {
	s.pos = space(s.data, s.pos)
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// Null consumes a null and reports whether there was one.
func (s *Scanner) Null() bool {
	if s.peek() != 'n' {
		return false
	}
	if end := literal(s.data, s.pos, "null"); end > 0 {
		s.pos = end
		return true
	}
	s.fail(errSyntax)
	return false
}

// Object starts reading an object: true after its '{'; false for null or
// after an error. Its members are then read with Key.
func (s *Scanner) Object() bool {
	return s.enter('{')
}

// Array starts reading an array: true after its '['; false for null or
// after an error. Its elements are then read while More answers true.
func (s *Scanner) Array() bool {
	return s.enter('[')
}

func (s *Scanner) enter(c byte) bool {
	if s.Null() || s.err != nil {
		return false
	}
	if s.peek() != c {
		s.fail(errType)
		return false
	}
	if s.depth++; s.depth > maxDepth {
		s.fail(errSyntax)
		return false
	}
	s.pos++
	s.open = true
	return true
}

// next reads what separates members or elements: false at the closing
// byte (consumed), true when another one follows.
func (s *Scanner) next(closing byte) bool {
	first := s.open
	s.open = false
	switch c := s.peek(); {
	case c == closing:
		s.pos++
		s.depth--
		return false
	case c == ',' && !first:
		s.pos++
		return true
	case c != 0 && first:
		return true
	}
	s.fail(errSyntax)
	return false
}

// More reports whether another element of the current array follows.
func (s *Scanner) More() bool {
	return s.next(']')
}

// Key reads the next member name of the current object and its colon;
// ok is false at the end of the object.
func (s *Scanner) Key() (key string, ok bool) {
	if !s.next('}') {
		return "", false
	}
	if s.peek() != '"' {
		s.fail(errSyntax)
		return "", false
	}
	key = s.String()
	if s.peek() != ':' {
		s.fail(errSyntax)
		return "", false
	}
	s.pos++
	return key, s.err == nil
}

// String reads a string.
func (s *Scanner) String() string {
	if s.Null() {
		return ""
	}
	// The bytes are the input's or unquote's fresh copy: neither changes.
	text := s.text()
	return unsafe.String(unsafe.SliceData(text), len(text))
}

// text reads a string as bytes, which share the input's memory unless the
// string has escapes or invalid UTF-8.
func (s *Scanner) text() []byte {
	raw, plain := s.quoted()
	if !plain {
		return unquote(raw)
	}
	return raw
}

// quoted reads a string token and returns its contents between the quotes;
// plain reports that they are its value as they are: no escapes and valid
// UTF-8.
func (s *Scanner) quoted() (raw []byte, plain bool) {
	if s.err != nil {
		return nil, true
	}
	if s.peek() != '"' {
		s.fail(errType)
		return nil, true
	}
	end, plain := scanString(s.data, s.pos)
	if end < 0 {
		s.fail(errSyntax)
		return nil, true
	}
	raw = s.data[s.pos+1 : end-1 : end-1]
	s.pos = end
	return raw, plain
}

// Bytes reads a string of standard base64, as encoding/json writes a
// []byte. null is nil; "" is an empty, non-nil slice. (encoding/json also
// reads an array of numbers into a []byte; no encoder here writes one.)
func (s *Scanner) Bytes() []byte {
	if s.Null() {
		return nil
	}
	text := s.text()
	if s.err != nil {
		return nil
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(out, text)
	if err != nil {
		s.fail(errType)
		return nil
	}
	return out[:n]
}

// Time reads a time in RFC 3339, as time.Time.MarshalJSON writes it and
// as strictly as UnmarshalJSON reads it.
func (s *Scanner) Time() time.Time {
	var t time.Time
	if s.Null() {
		return t
	}
	// Like time.Time.UnmarshalJSON, take no escapes: no encoder writes one
	// in a time.
	raw, plain := s.quoted()
	if s.err != nil {
		return t
	}
	if err := t.UnmarshalText(raw); !plain || err != nil {
		s.fail(errType)
	}
	return t
}

// Bool reads true or false.
func (s *Scanner) Bool() bool {
	switch s.peek() {
	case 'n':
		s.Null()
		return false
	case 't':
		return s.word("true")
	case 'f':
		s.word("false")
		return false
	}
	s.fail(errType)
	return false
}

// word consumes lit, or fails; it reports whether it did.
func (s *Scanner) word(lit string) bool {
	if end := literal(s.data, s.pos, lit); end > 0 {
		s.pos = end
		return true
	}
	s.fail(errSyntax)
	return false
}

// Int reads an integer that fits in bits bits (64 for int64).
func (s *Scanner) Int(bits int) int64 {
	num := s.integer()
	if num == "" {
		return 0
	}
	n, err := strconv.ParseInt(num, 10, bits)
	if err != nil {
		s.fail(errRange)
	}
	return n
}

// Uint reads a non-negative integer that fits in bits bits.
func (s *Scanner) Uint(bits int) uint64 {
	num := s.integer()
	if num == "" {
		return 0
	}
	n, err := strconv.ParseUint(num, 10, bits)
	if err != nil {
		s.fail(errRange)
	}
	return n
}

// integer reads a number that must have neither fraction nor exponent, as
// decoding into a Go integer demands; "" for null or an error.
func (s *Scanner) integer() string {
	if s.Null() || s.err != nil {
		return ""
	}
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		s.fail(errType)
		return ""
	}
	start := s.pos
	end, integral := number(s.data, start)
	switch {
	case end < 0:
		s.fail(errSyntax)
		return ""
	case !integral:
		s.fail(errType)
		return ""
	}
	s.pos = end
	return unsafe.String(&s.data[start], end-start)
}

// Strings reads an array of strings.
func (s *Scanner) Strings() []string {
	if !s.Array() {
		return nil
	}
	out := []string{}
	for s.More() {
		out = append(out, s.String())
	}
	return out
}

// Raw reads any value and returns its bytes as they are in the input; null
// is nil.
func (s *Scanner) Raw() []byte {
	if s.Null() || s.err != nil {
		return nil
	}
	start := s.pos
	s.Skip()
	if s.err != nil {
		return nil
	}
	return s.data[start:s.pos:s.pos]
}

// Skip reads any value, checking it, and drops it.
func (s *Scanner) Skip() {
	if s.err != nil {
		return
	}
	end := skipValue(s.data, s.pos, s.depth)
	if end < 0 {
		s.fail(errSyntax)
		return
	}
	s.pos = end
}

// Valid reports whether data is one JSON value, with only whitespace
// around it.
func Valid(data []byte) bool {
	end := skipValue(data, 0, 0)
	return end >= 0 && space(data, end) == len(data)
}
