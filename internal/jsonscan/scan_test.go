package jsonscan_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/jsonscan"
)

var seeds = []string{
	``, ` `, `null`, `true`, `false`, `0`, `-0`, `01`, `1.`, `1.5e+3`, `-`, `1e`, `9223372036854775808`,
	`""`, `"a"`, `"\""`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`, `"\ud800\u0041"`, `"\ud800\ud800\udc00"`,
	"\"\xff\"", "\"\x01\"", `"\x"`, `"\u12"`, `"abc`, `"aGk="`, `"aGk"`, `"a\nGk="`, `"\u0061Gk="`,
	`"2026-12-01T10:27:00.73540857Z"`, `"2026-12-01T10:27:00+05:30"`, `"2026-12-01T10:27:00"`, `"2026-12-01T10:27:00\u005a"`, `""`,
	`{}`, `[]`, `{"a":1,"a":2}`, `{"a":1,}`, `[1,]`, `{,}`, `[,1]`, `{"a" 1}`, `{"a":[{"b":null}]}`,
	`[1 2]`, `{"a":1}x`, `{"\u0061":"b"}`, ` [ "x" , { } ] `,
}

func addSeeds(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

func scan(data []byte) *jsonscan.Scanner {
	var s jsonscan.Scanner
	s.Reset(data)
	return &s
}

func FuzzValid(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		require.Equal(t, json.Valid(data), jsonscan.Valid(data))
	})
}

func TestValidDepth(t *testing.T) {
	for _, depth := range []int{10000, 10001} {
		data := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		require.Equal(t, json.Valid(data), jsonscan.Valid(data), "depth %d", depth)
	}
}

// check compares what a Scanner read from data with what encoding/json
// decodes into the same type: both fail, or both give want.
func check[T any](t *testing.T, data []byte, read func(*jsonscan.Scanner) T, same func(a, b T) bool) {
	t.Helper()
	var want T
	wantErr := json.Unmarshal(data, &want)
	s := scan(data)
	got := read(s)
	err := s.Finish()
	if wantErr != nil {
		require.Error(t, err, "encoding/json: %v", wantErr)
		return
	}
	require.NoError(t, err)
	require.True(t, same(want, got), "got %#v, want %#v", got, want)
}

func FuzzString(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data, (*jsonscan.Scanner).String, func(a, b string) bool { return a == b })
	})
}

func FuzzBytes(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if strings.HasPrefix(strings.TrimLeft(string(data), " \t\r\n"), "[") {
			return // encoding/json also reads an array of numbers; Bytes does not
		}
		check(t, data, (*jsonscan.Scanner).Bytes, func(a, b []byte) bool {
			return (a == nil) == (b == nil) && string(a) == string(b)
		})
	})
}

func FuzzTime(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data, (*jsonscan.Scanner).Time, func(a, b time.Time) bool {
			_, ao := a.Zone()
			_, bo := b.Zone()
			return a.Equal(b) && ao == bo
		})
	})
}

func FuzzNumbers(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data, func(s *jsonscan.Scanner) int64 { return s.Int(64) }, func(a, b int64) bool { return a == b })
		check(t, data, func(s *jsonscan.Scanner) uint32 { return uint32(s.Uint(32)) }, func(a, b uint32) bool { return a == b })
		check(t, data, (*jsonscan.Scanner).Bool, func(a, b bool) bool { return a == b })
	})
}

// FuzzObject walks objects member by member, as the hand-written decoders
// do, against encoding/json's map of raw members (the last of a repeated
// name wins in both).
func FuzzObject(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data, func(s *jsonscan.Scanner) map[string]json.RawMessage {
			if !s.Object() {
				return nil
			}
			m := map[string]json.RawMessage{}
			for k, ok := s.Key(); ok; k, ok = s.Key() {
				m[k] = s.Raw()
			}
			return m
		}, func(a, b map[string]json.RawMessage) bool {
			if len(a) != len(b) || (a == nil) != (b == nil) {
				return false
			}
			for k, v := range a {
				if string(b[k]) != string(v) && !(string(v) == "null" && b[k] == nil) {
					return false
				}
			}
			return true
		})
	})
}

func FuzzStrings(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`["a","\u00e9",""]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		check(t, data, (*jsonscan.Scanner).Strings, func(a, b []string) bool {
			if (a == nil) != (b == nil) || len(a) != len(b) {
				return false
			}
			for i := range a {
				if a[i] != b[i] {
					return false
				}
			}
			return true
		})
	})
}

func TestPlainStringsShareTheInput(t *testing.T) {
	data := []byte(`{"k":"value","e":"v\u00e9"}`)
	s := scan(data)
	require.True(t, s.Object())
	var got []string
	allocs := testing.AllocsPerRun(1, func() {
		s.Reset(data)
		s.Object()
		got = got[:0]
		for _, ok := s.Key(); ok; _, ok = s.Key() {
			got = append(got, s.String())
		}
	})
	require.NoError(t, s.Finish())
	require.Equal(t, []string{"value", "vé"}, got)
	require.Equal(t, 1.0, allocs, "only the string with an escape is copied")
}
