package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/tenant"
)

func TestThemeContrast(t *testing.T) {
	tests := []struct {
		bg, on string
	}{
		{"#2747b8", "#ffffff"},
		{"#9db4ff", "#0b0c0c"},
		{"#ffdd00", "#0b0c0c"},
		{"#000000", "#ffffff"},
		{"#0a7f3f", "#ffffff"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.on, onColor(tt.bg), tt.bg)
		require.GreaterOrEqual(t, contrast(tt.bg, onColor(tt.bg)), 4.5, "%s: WCAG AA for text", tt.bg)
	}
	require.InDelta(t, 21, contrast("#000000", "#ffffff"), 0.01)
	require.Equal(t, "#808080", mix("#000000", "#ffffff", 0.5))
}

func TestThemeOfBranding(t *testing.T) {
	def := themeOf(tenant.Branding{})
	require.Contains(t, string(def.css), "--primary:#2747b8;--on-primary:#ffffff")
	own := themeOf(tenant.Branding{PrimaryColor: "#ffdd00", DarkPrimaryColor: "#332200"})
	require.Equal(t, ":root{--primary:#ffdd00;--on-primary:#0b0c0c}\n@media (prefers-color-scheme:dark){:root{--primary:#332200;--on-primary:#ffffff}}\n", string(own.css))
	require.NotEqual(t, def.hash, own.hash)
	require.Len(t, own.hash, 10)
}
