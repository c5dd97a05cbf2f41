package jsonappend

import (
	"encoding/json"
	"strings"
	"testing"

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
		require.Equal(t, string(want), string(appendString(nil, s, true)), "%q", s)
		var plain strings.Builder
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(s))
		require.Equal(t, strings.TrimSuffix(plain.String(), "\n"), string(StringNoHTML(nil, s)), "%q", s)
	}
}

// FuzzString: for valid UTF-8 the literal decodes back to the input; for
// any input it is valid JSON and what encoding/json writes.
// FuzzStringNoHTML: what an Encoder without HTML escaping writes.
func FuzzStringNoHTML(f *testing.F) {
	for _, s := range []string{"", "ada", "\"\\\x00</script>&", "\u2028", "\xff\xfe", "日本\xe6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var plain strings.Builder
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := string(StringNoHTML(nil, s)), strings.TrimSuffix(plain.String(), "\n"); got != want {
			t.Fatalf("StringNoHTML(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}
