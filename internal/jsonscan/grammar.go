package jsonscan

import (
	"encoding/binary"
	"unicode/utf8"
)

// The grammar of RFC 8259 over an index into the input. Each function
// takes the index where its token starts and answers the index just past
// it, or -1 when the input is not that token. They carry no state, so the
// validation of a whole value (skipValue) is a tight loop rather than a
// call per token through the Scanner.

// maxDepth is encoding/json's limit on nested arrays and objects, so that
// Valid agrees with it and skipping a value cannot recurse without end.
const maxDepth = 10000

// space skips whitespace.
func space(data []byte, i int) int {
	for i < len(data) && data[i] <= ' ' && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// literal matches lit ("true", "false" or "null").
func literal(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// scanString matches the string starting at data[i] ('"'); plain reports
// that its contents are its value as they stand: no escapes, valid UTF-8.
func scanString(data []byte, i int) (end int, plain bool) {
	start := i + 1
	escaped, ascii := false, true
	for i = start; ; {
		// Pass over the bytes that need no look: eight at a time, then one
		// by one up to the next that does.
		for i+8 <= len(data) && !special8(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		for i < len(data) && data[i] >= ' ' && data[i] < utf8.RuneSelf && data[i] != '"' && data[i] != '\\' {
			i++
		}
		if i == len(data) {
			return -1, false // unterminated
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, !escaped && (ascii || utf8.Valid(data[start:i]))
		case c == '\\':
			escaped = true
			if i+1 == len(data) {
				return -1, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex4(data[i+2:i+6]) {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < ' ':
			return -1, false
		default:
			ascii = false
			i++
		}
	}
}

// special8 reports whether any of the eight bytes in x is a quote, a
// backslash, a control character or not ASCII: the bytes a string token
// cannot simply pass over. (A byte minus one borrows into its high bit only
// when it was zero; a borrow from a lower byte can add false positives,
// never hide a true one.)
func special8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := x ^ (ones * '"')
	backslash := x ^ (ones * '\\')
	return ((quote-ones)&^quote|(backslash-ones)&^backslash|(x-ones*' ')&^x|x)&highs != 0
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number matches a number and says whether it is an integer (no fraction,
// no exponent).
func number(data []byte, i int) (end int, integral bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i)
	default:
		return -1, false
	}
	integral = true
	if i < len(data) && data[i] == '.' {
		integral = false
		j := digits(data, i+1)
		if j == i+1 {
			return -1, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integral = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return -1, false
		}
		i = j
	}
	return i, integral
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// skipValue matches any value after optional whitespace, at nesting depth
// depth.
func skipValue(data []byte, i, depth int) int {
	i = space(data, i)
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; c {
	case '"':
		end, _ := scanString(data, i)
		return end
	case '{', '[':
		if depth++; depth > maxDepth {
			return -1
		}
		return skipContainer(data, i, depth)
	case 't':
		return literal(data, i, "true")
	case 'f':
		return literal(data, i, "false")
	case 'n':
		return literal(data, i, "null")
	}
	end, _ := number(data, i)
	return end
}

// skipContainer matches the object or array starting at data[i].
func skipContainer(data []byte, i, depth int) int {
	object := data[i] == '{'
	closing := byte(']')
	if object {
		closing = '}'
	}
	i = space(data, i+1)
	if i < len(data) && data[i] == closing {
		return i + 1
	}
	for {
		if object {
			if i >= len(data) || data[i] != '"' {
				return -1
			}
			if i, _ = scanString(data, i); i < 0 {
				return -1
			}
			if i = space(data, i); i >= len(data) || data[i] != ':' {
				return -1
			}
			i++
		}
		if i = skipValue(data, i, depth); i < 0 {
			return -1
		}
		if i = space(data, i); i >= len(data) {
			return -1
		}
		switch data[i] {
		case closing:
			return i + 1
		case ',':
			i = space(data, i+1)
		default:
			return -1
		}
	}
}
