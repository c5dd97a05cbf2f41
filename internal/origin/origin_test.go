package origin

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	good := map[string]Origin{
		"https://acme.example.app":  {"https", "acme.example.app", ""},
		"http://localhost:3001":     {"http", "localhost", "3001"},
		"https://[::1]:8443":        {"https", "::1", "8443"},
		"http://127.0.0.1":          {"http", "127.0.0.1", ""},
		"https://Under_Score.local": {"https", "Under_Score.local", ""},
	}
	for in, want := range good {
		got, ok := Parse(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"", "null", "https://", "http://", "ftp://x", "HTTPS://x", "https://a/", "https://a/path",
		"https://a?q", "https://a#f", "https://u@a", "https://a:", "https://a:12x", "https://a:123456",
		"https://[::1", "https://[zz]", "https://a b", "https://a%2e", "//a", "https:/a",
	} {
		_, ok := Parse(in)
		require.False(t, ok, in)
	}
}

func TestParseAllocatesNothing(t *testing.T) {
	require.Zero(t, testing.AllocsPerRun(100, func() { _, _ = Parse("https://acme.example.app:8443") }))
}

// FuzzParse: whatever Parse accepts, net/url reads the same way, and it is
// exactly scheme://host[:port].
func FuzzParse(f *testing.F) {
	for _, s := range []string{"https://a.example", "http://localhost:3001", "https://[::1]:1", "https://a/b", "http://a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, ok := Parse(s)
		if !ok {
			return
		}
		u, err := url.Parse(s)
		require.NoError(t, err, s)
		require.Equal(t, u.Scheme, o.Scheme, s)
		require.Equal(t, u.Hostname(), o.Host, s)
		require.Equal(t, u.Port(), o.Port, s)
		require.Empty(t, u.Path+u.RawQuery+u.Fragment, s)
		require.Nil(t, u.User, s)
		require.Equal(t, s, u.Scheme+"://"+u.Host, s)
	})
}
