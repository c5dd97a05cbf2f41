package jsonappend_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/jsonappend"
)

// stringSeeds are the strings whose escaping is easy to get wrong.
var stringSeeds = []string{
	"", "plain", `quote " backslash \ slash /`, "\x00\x01\x1f\x7f", "\b\f\n\r\t",
	"<script>&amp;</script>", "\u2028\u2029", "é ü 中文 😀", "\xff", "a\xc3", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\ufffd", "\xe2\x80\xa8\xe2\x80",
}

func FuzzString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(jsonappend.String(nil, s)))
	})
}

func FuzzBytes(f *testing.F) {
	f.Add([]byte(nil), false)
	f.Add([]byte{}, false)
	f.Add([]byte{0, 1, 2, 0xff}, false)
	f.Fuzz(func(t *testing.T, b []byte, null bool) {
		if null {
			b = nil
		}
		want, err := json.Marshal(b)
		require.NoError(t, err)
		require.Equal(t, string(want), string(jsonappend.Bytes(nil, b)))
	})
}

func FuzzTime(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(time.Date(2026, 12, 1, 10, 27, 0, 735408570, time.UTC).Unix(), int64(735408570), 0)
	f.Add(int64(-62135596800), int64(0), 0)     // year 1
	f.Add(int64(-62167219201), int64(0), 0)     // year -1: MarshalJSON fails
	f.Add(int64(253402300800), int64(1), 0)     // year 10000: MarshalJSON fails
	f.Add(int64(1700000000), int64(100), 19800) // +05:30
	f.Add(int64(1700000000), int64(0), -86400)  // an offset of 24 hours
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset))
		want, wantErr := json.Marshal(tm)
		got, err := jsonappend.Time(nil, tm)
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	})
}

func TestScalars(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want any
	}{
		{"nil strings", jsonappend.Strings(nil, nil), []string(nil)},
		{"empty strings", jsonappend.Strings(nil, []string{}), []string{}},
		{"strings", jsonappend.Strings(nil, []string{"a", "<b>", ""}), []string{"a", "<b>", ""}},
		{"min int", jsonappend.Int(nil, -1<<63), int64(-1 << 63)},
		{"max uint", jsonappend.Uint(nil, 1<<64-1), uint64(1<<64 - 1)},
		{"true", jsonappend.Bool(nil, true), true},
		{"false", jsonappend.Bool(nil, false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.want)
			require.NoError(t, err)
			require.Equal(t, string(want), string(tt.got))
		})
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	dst := []byte(`{"a":`)
	dst = jsonappend.String(dst, "x\ny")
	dst = append(dst, `,"b":`...)
	dst = jsonappend.Bytes(dst, []byte("hi"))
	require.Equal(t, `{"a":"x\ny","b":"aGk="`, string(dst))
}

func TestStringAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = jsonappend.String(buf[:0], "a <b> \"c\" \xff \u2028 é")
	})
	require.Zero(t, allocs)
}
