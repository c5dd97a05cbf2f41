package httpx_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOnlyClientInfoReadsForwarding holds the rule of ClientInfo: no Go
// file of the module but client.go reads a forwarding header or asks Fiber
// for the client's address or scheme (c.IP, c.IPs, c.Protocol: Fiber's
// answers are not the client's behind a proxy).
func TestOnlyClientInfoReadsForwarding(t *testing.T) {
	headers := []string{"x-forwarded-for", "x-forwarded-proto", "x-forwarded-protocol", "x-forwarded-host",
		"x-forwarded-ssl", "x-url-scheme", "x-real-ip", "forwarded"}
	idents := map[string]bool{"HeaderXForwardedFor": true, "HeaderXForwardedProto": true,
		"HeaderXForwardedProtocol": true, "HeaderXForwardedHost": true, "HeaderXForwardedSsl": true,
		"HeaderXUrlScheme": true, "HeaderXRealIP": true}
	calls := map[string]bool{"IP": true, "IPs": true, "Protocol": true}

	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		// cmd/soak is a client playing the TLS proxy: it writes the header.
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == filepath.Join("cmd", "soak")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			rel == filepath.Join("internal", "httpx", "client.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING {
					for _, h := range headers {
						if strings.EqualFold(s, h) {
							found = append(found, fset.Position(n.Pos()).String()+": "+n.Value)
						}
					}
				}
			case *ast.SelectorExpr:
				if idents[n.Sel.Name] {
					found = append(found, fset.Position(n.Pos()).String()+": "+n.Sel.Name)
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && len(n.Args) == 0 && calls[sel.Sel.Name] {
					found = append(found, fset.Position(n.Pos()).String()+": ."+sel.Sel.Name+"()")
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, found, "use httpx.ClientIP and httpx.Scheme instead")
}
