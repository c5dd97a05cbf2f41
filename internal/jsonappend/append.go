package jsonappend

import (
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string. Like encoding/json it escapes '"',
// '\\', control characters, and '<', '>' and '&' (so the JSON can sit in
// HTML); it escapes U+2028 and U+2029 (JavaScript line terminators) and
// writes each byte of invalid UTF-8 as U+FFFD.
func String(dst []byte, s string) []byte { return appendString(dst, s, true) }

// StringNoHTML is String leaving <, > and & as they are, as
// encoding/json's Encoder with SetEscapeHTML(false) writes them (and
// log/slog's JSONHandler): for log lines, which no page inlines.
func StringNoHTML(dst []byte, s string) []byte { return appendString(dst, s, false) }

func appendString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; ; {
		// Pass over the bytes that need no escaping: eight at a time, then
		// one by one up to the next that may.
		for i+8 <= len(s) && !special8(s[i:i+8]) {
			i += 8
		}
		for i < len(s) && s[i] >= ' ' && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' &&
			(!html || s[i] != '<' && s[i] != '>' && s[i] != '&') {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			dst = appendASCIIEscape(append(dst, s[done:i]...), c)
			i++
			done = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(append(dst, s[done:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[done:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += n
			continue
		}
		i += n
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// special8 reports whether any of the eight bytes of s (which has eight)
// may need escaping: '"', '\\', '<', '>', '&', a control character or a
// byte of a multi-byte sequence. (A byte minus one borrows into its high
// bit only when it was zero; a borrow from a lower byte can add false
// positives, never hide a true one.)
func special8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	q, b := x^(ones*'"'), x^(ones*'\\')
	lt, gt, amp := x^(ones*'<'), x^(ones*'>'), x^(ones*'&')
	m := (x-ones*' ')&^x | (q-ones)&^q | (b-ones)&^b | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp
	return (m|x)&highs != 0
}

// appendASCIIEscape escapes one ASCII byte that cannot appear as itself:
// the short forms JSON has, else \u00XX.
func appendASCIIEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// Bytes appends b as encoding/json writes a []byte: standard base64 with
// padding in a string, and null for a nil slice (an empty one is "").
func Bytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// Time appends t as time.Time.MarshalJSON does (RFC 3339 with as many
// fractional digits as it needs). Like MarshalJSON it fails for a year
// outside [0, 9999], which RFC 3339 cannot write.
func Time(dst []byte, t time.Time) ([]byte, error) {
	dst = append(dst, '"')
	dst, err := t.AppendText(dst)
	if err != nil {
		return nil, err
	}
	return append(dst, '"'), nil
}

// Strings appends ss as an array of strings; a nil slice is null.
func Strings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = String(dst, s)
	}
	return append(dst, ']')
}

// Int appends n in decimal.
func Int(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// Uint appends n in decimal.
func Uint(dst []byte, n uint64) []byte { return strconv.AppendUint(dst, n, 10) }

// Bool appends true or false.
func Bool(dst []byte, b bool) []byte { return strconv.AppendBool(dst, b) }
