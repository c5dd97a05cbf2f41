package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// asset is one static file as served: under a name that carries a hash of
// its content, so it can be cached for a year, with its compressed forms
// made once at start-up.
type asset struct {
	name  string // file name in static/, e.g. "api.js"
	url   string // "/assets/api.3f2a9c1b0d.js"
	ctype string
	body  []byte
	deps  []string // names of the modules it imports

	// The compressed forms, made on first use rather than at start-up, so
	// that a process that never serves a page (a test of the API) pays
	// nothing for them.
	once         sync.Once
	gzip, brotli []byte
}

// encoded returns the gzip and brotli forms of the asset (nil when one
// could not be made: the body is then sent as it is).
func (as *asset) encoded() (gz, br []byte) {
	as.once.Do(func() {
		as.gzip, _ = gzipBytes(as.body)
		as.brotli, _ = brotliBytes(as.body)
	})
	return as.gzip, as.brotli
}

// Assets are the files of static/, addressed by content hash.
//
// ES modules import each other by relative name ("./api.js"). With no build
// step, the hash of a module must change when any module it imports changes,
// or a browser would keep an old import under a long cache. So each module's
// imports are rewritten to the hashed URLs of their targets before it is
// hashed itself, dependencies first (a Merkle tree over the import graph).
type Assets struct {
	byName map[string]*asset
	byURL  map[string]*asset
}

// assetPrefix is where assets are served.
const assetPrefix = "/assets/"

// importRE finds the relative module specifiers of static imports
// (`from './x.js'`, `import './x.js'`) and dynamic ones (`import('./x.js')`).
var importRE = regexp.MustCompile(`(\bfrom\s*|\bimport\s*\(?\s*)(['"])\./([A-Za-z0-9_.-]+\.js)(['"])`)

var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
}

// loadAssets reads every file of fsys (flat: no directories), rewrites
// module imports and hashes. An import of a missing file, or an import
// cycle, is an error: the binary must not start with broken pages.
func loadAssets(fsys fs.FS) (*Assets, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	src := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			return nil, fmt.Errorf("assets: %s: directories are not served", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		src[e.Name()] = b
	}
	a := &Assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	visiting := map[string]bool{}
	var build func(name string) (*asset, error)
	build = func(name string) (*asset, error) {
		if as, ok := a.byName[name]; ok {
			return as, nil
		}
		body, ok := src[name]
		if !ok {
			return nil, fmt.Errorf("assets: %s does not exist", name)
		}
		if visiting[name] {
			return nil, fmt.Errorf("assets: import cycle through %s", name)
		}
		visiting[name] = true
		defer delete(visiting, name)
		ext := path.Ext(name)
		ctype, ok := contentTypes[ext]
		if !ok {
			return nil, fmt.Errorf("assets: %s: no content type for %q", name, ext)
		}
		as := &asset{name: name, ctype: ctype}
		if ext == ".js" {
			var berr error
			body = importRE.ReplaceAllFunc(body, func(m []byte) []byte {
				sub := importRE.FindSubmatch(m)
				dep, err := build(string(sub[3]))
				if err != nil {
					berr = fmt.Errorf("%s imports %w", name, err)
					return m
				}
				if !slices.Contains(as.deps, dep.name) {
					as.deps = append(as.deps, dep.name)
				}
				return slices.Concat(sub[1], sub[2], []byte(dep.url), sub[4])
			})
			if berr != nil {
				return nil, berr
			}
		}
		sum := sha256.Sum256(body)
		stem := strings.TrimSuffix(name, ext)
		as.url = assetPrefix + stem + "." + hex.EncodeToString(sum[:5]) + ext
		as.body = body
		a.byName[name] = as
		a.byURL[as.url] = as
		return as, nil
	}
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, err := build(n); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// URL returns the hashed URL of a file of static/; it panics on a name that
// does not exist, which the page tests catch.
func (a *Assets) URL(name string) string {
	as, ok := a.byName[name]
	if !ok {
		panic("web: no asset " + name)
	}
	return as.url
}

// Preloads lists the hashed URLs of every module entry imports, directly or
// not, so that the page can fetch them all at once (modulepreload) instead
// of discovering them one import level at a time.
func (a *Assets) Preloads(entry string) []string {
	var out []string
	seen := map[string]bool{entry: true}
	queue := slices.Clone(a.byName[entry].deps)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, a.byName[n].url)
		queue = append(queue, a.byName[n].deps...)
	}
	return out
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// brotliLevel trades a little size for speed: on these assets level 11
// saves 8% (about 1.6 KB in all) for ten times the CPU, which the first
// visitor after a start would wait for.
const brotliLevel = 6

func brotliBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotliLevel)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
