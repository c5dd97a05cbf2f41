package web

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestAssetsRewriteImportsToHashes(t *testing.T) {
	fsys := fstest.MapFS{
		"main.js": {Data: []byte("import { a } from './a.js'\nimport './b.js'\nconst lazy = () => import('./b.js')\n")},
		"a.js":    {Data: []byte("import { b } from \"./b.js\"\nexport const a = b\n")},
		"b.js":    {Data: []byte("export const b = 1\n")},
		"x.css":   {Data: []byte("body{}")},
	}
	a, err := loadAssets(fsys)
	require.NoError(t, err)
	main := a.byName["main.js"]
	require.Regexp(t, `^/assets/main\.[0-9a-f]{10}\.js$`, main.url)
	body := string(main.body)
	require.Contains(t, body, "from '"+a.URL("a.js")+"'")
	require.Contains(t, body, "import '"+a.URL("b.js")+"'")
	require.Contains(t, body, "import('"+a.URL("b.js")+"')")
	require.Contains(t, string(a.byName["a.js"].body), `from "`+a.URL("b.js")+`"`)
	require.Equal(t, []string{a.URL("a.js"), a.URL("b.js")}, a.Preloads("main.js"))
	require.Equal(t, "text/css; charset=utf-8", a.byName["x.css"].ctype)

	// A change deep in the graph changes the hash of every module above it,
	// so no cached module can import a stale one.
	fsys["b.js"] = &fstest.MapFile{Data: []byte("export const b = 2\n")}
	changed, err := loadAssets(fsys)
	require.NoError(t, err)
	for _, name := range []string{"main.js", "a.js", "b.js"} {
		require.NotEqual(t, a.URL(name), changed.URL(name), name)
	}
	require.Equal(t, a.URL("x.css"), changed.URL("x.css"))

	gz, br := main.encoded()
	require.NotEmpty(t, gz)
	require.NotEmpty(t, br)
}

func TestAssetsRefuseBrokenGraphs(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"missing import", fstest.MapFS{"a.js": {Data: []byte("import './gone.js'")}}, "gone.js does not exist"},
		{"cycle", fstest.MapFS{
			"a.js": {Data: []byte("import './b.js'")},
			"b.js": {Data: []byte("import './a.js'")},
		}, "import cycle"},
		{"unknown type", fstest.MapFS{"a.exe": {Data: []byte("MZ")}}, "no content type"},
		{"directory", fstest.MapFS{"sub/a.js": {Data: []byte("")}}, "directories are not served"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadAssets(tt.fsys)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestEmbeddedPagesLoad(t *testing.T) {
	h, err := New()
	require.NoError(t, err)
	for _, name := range []string{"main.js", "demo.js", "foyer.css", "favicon.svg"} {
		require.True(t, strings.HasPrefix(h.assets.URL(name), assetPrefix), name)
	}
	require.NotEmpty(t, h.assets.Preloads("main.js"))
}
