package web

import (
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNegotiate(t *testing.T) {
	h, err := New()
	require.NoError(t, err)
	tests := []struct {
		uiLocales, accept, want string
	}{
		{"", "", "en"},
		{"de", "", "de"},
		{"de-CH", "en", "de"},
		{"fr de", "en", "de"},
		{"fr", "de-DE,de;q=0.9", "de"},
		{"en", "de", "en"},
		{"", "de-AT, en;q=0.5", "de"},
		{"", "fr-FR, ja;q=0.8", "en"},
		{"!!", "garbage;;q=x", "en"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, h.catalog.Negotiate(tt.uiLocales, tt.accept), "%q %q", tt.uiLocales, tt.accept)
	}
	require.Equal(t, "ltr", Dir("de"))
	require.Equal(t, "rtl", Dir("ar"))
}

func TestCatalogueTexts(t *testing.T) {
	h, err := New()
	require.NoError(t, err)
	require.Equal(t, "Bei Acme anmelden", h.catalog.Text("de", "signIn.title", "name", "Acme"))
	require.Equal(t, "no.such.key", h.catalog.Text("de", "no.such.key"))
	for k := range h.catalog.Script("de") {
		require.True(t, strings.HasPrefix(k, "error.") || strings.HasPrefix(k, "js."), k)
	}
}

// TestCataloguesAreComplete: every language has every text, and every text
// the templates and scripts ask for exists; every error code the API
// documents has a human message.
func TestCataloguesAreComplete(t *testing.T) {
	h, err := New()
	require.NoError(t, err)
	en := h.catalog.texts["en"]
	for lang, texts := range h.catalog.texts {
		require.ElementsMatch(t, slices.Collect(maps.Keys(en)), slices.Collect(maps.Keys(texts)), "keys of %s.json", lang)
		for k, v := range texts {
			require.NotEmpty(t, v, "%s: %s", lang, k)
		}
	}

	used := map[string]string{}
	templateKey := regexp.MustCompile(`\.T "([A-Za-z0-9_.]+)"`)
	scriptKey := regexp.MustCompile(`'((?:js|error)\.[A-Za-z0-9_.]+[A-Za-z0-9_])'`)
	for _, dir := range []struct {
		path string
		re   *regexp.Regexp
	}{{"templates", templateKey}, {"static", scriptKey}} {
		require.NoError(t, fs.WalkDir(files, dir.path, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(files, path)
			if err != nil {
				return err
			}
			for _, m := range dir.re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = path
			}
			return nil
		}))
	}
	require.NotEmpty(t, used)
	for key, file := range used {
		require.Contains(t, en, key, "%s asks for %q", file, key)
	}

	spec, err := os.ReadFile("../openapi.yaml")
	require.NoError(t, err)
	i := strings.Index(string(spec), "Machine-readable. Produced today:")
	j := strings.Index(string(spec)[i:], "examples:")
	require.True(t, i > 0 && j > 0, "the Error code list in openapi.yaml")
	codes := regexp.MustCompile("`([a-z_]+(?:\\.[a-z_]+)*)`").FindAllStringSubmatch(string(spec)[i:i+j], -1)
	require.Greater(t, len(codes), 40)
	for _, c := range codes {
		require.Contains(t, en, "error."+c[1], "no message for the API's %s", c[1])
	}
}
