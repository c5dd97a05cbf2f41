package jsonappend

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestStringMatchesEncodingJSON: every escape, byte for byte as
// encoding/json writes it.
func TestStringMatchesEncodingJSON(t *testing.T) {
	tests := []string{
		"", "ada", `a"b\c`, "</script><script>alert(1)</script>", "a&b", "line\nbreak\r\ttab",
		"\x00\x01\x08\x0c\x1f\x7f", "Zoë 😀 日本", "\u2028\u2029", "\xff", "a\xc3", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", strings.Repeat("x", 100) + "\"",
	}
	for _, s := range tests {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(String(nil, s)), "%q", s)
		var plain strings.Builder
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(s))
		require.Equal(t, strings.TrimSuffix(plain.String(), "\n"), string(StringNoHTML(nil, s)), "%q", s)
	}
}

// TestStringAppends: String appends, it does not overwrite.
func TestStringAppends(t *testing.T) {
	require.Equal(t, `["a","b"`, string(String(append(String([]byte("["), "a"), ','), "b")))
}

func TestStringDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	s := "Ada <ada@example.com> \u2028 \xff"
	require.Zero(t, testing.AllocsPerRun(100, func() { buf = String(buf[:0], s) }))
}

// FuzzString: for valid UTF-8 the literal decodes back to the input; for
// any input it is valid JSON and what encoding/json writes.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "ada", "\"\\\x00</script>", "\u2028", "\xff\xfe", "日本\xe6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(nil, s)
		if !json.Valid(got) {
			t.Fatalf("String(%q) = %s: not valid JSON", s, got)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("decode %s: %v", got, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("String(%q) decodes to %q", s, back)
		}
		if want, _ := json.Marshal(s); string(want) != string(got) {
			t.Fatalf("String(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}
