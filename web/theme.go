package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"

	"github.com/foyer-auth/foyer/tenant"
)

// Foyer's own colours, used when a tenant sets none.
const (
	defaultPrimary     = "#2747b8"
	defaultDarkPrimary = "#9db4ff"
)

// theme is a tenant's stylesheet: its primary colour for light and dark
// mode (prefers-color-scheme), and the text colour that reads best on
// each. A stylesheet, not an inline style, so the Content-Security-Policy
// needs no 'unsafe-inline'.
type theme struct {
	css  []byte
	hash string
}

func themeOf(b tenant.Branding) theme {
	light, dark := defaultPrimary, defaultDarkPrimary
	if b.PrimaryColor != "" {
		light = b.PrimaryColor
		dark = mix(b.PrimaryColor, "#ffffff", 0.45)
	}
	if b.DarkPrimaryColor != "" {
		dark = b.DarkPrimaryColor
	}
	css := fmt.Sprintf(":root{--primary:%s;--on-primary:%s}\n"+
		"@media (prefers-color-scheme:dark){:root{--primary:%s;--on-primary:%s}}\n",
		light, onColor(light), dark, onColor(dark))
	sum := sha256.Sum256([]byte(css))
	return theme{css: []byte(css), hash: hex.EncodeToString(sum[:5])}
}

// rgb parses "#rrggbb" (settings validation guarantees the form).
func rgb(hex string) (r, g, b float64) {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	return float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)
}

// luminance is the WCAG 2.2 relative luminance of a colour.
func luminance(hex string) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	r, g, b := rgb(hex)
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// onColor picks white or near-black text, whichever contrasts more with bg.
func onColor(bg string) string {
	const white, black = "#ffffff", "#0b0c0c"
	if contrast(bg, white) >= contrast(bg, black) {
		return white
	}
	return black
}

// mix blends a towards b by w (0: a, 1: b).
func mix(a, b string, w float64) string {
	ar, ag, ab := rgb(a)
	br, bg, bb := rgb(b)
	m := func(x, y float64) int { return int(math.Round(x + (y-x)*w)) }
	return fmt.Sprintf("#%02x%02x%02x", m(ar, br), m(ag, bg), m(ab, bb))
}
