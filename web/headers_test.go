package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br, zstd", "br", true},
		{"gzip, deflate, br, zstd", "gzip", true},
		{"gzip;q=0, br", "gzip", false},
		{"GZIP ; q=0.5", "gzip", true},
		{"br;q=0.000", "br", false},
		{"", "gzip", false},
		{"identity", "br", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, accepts(tt.header, tt.coding), "%q %q", tt.header, tt.coding)
	}
}

func TestCSP(t *testing.T) {
	require.Equal(t, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https://cdn.example; connect-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
		csp(origins("https://cdn.example/a.png", "https://cdn.example/b.png", "", "not a url")))
}
