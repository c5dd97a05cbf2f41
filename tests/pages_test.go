package tests

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"
)

// registerPageDecoders lets the spec check read the pages' responses,
// whose bodies it only needs as strings.
func registerPageDecoders() {
	for _, ct := range []string{"text/html", "text/javascript", "text/css", "image/svg+xml", "image/png"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// defaultCSP is the Content-Security-Policy of a tenant without a logo.
const defaultCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

var (
	assetRE = regexp.MustCompile(`/assets/[A-Za-z0-9_-]+\.[0-9a-f]{10}\.(?:js|css|svg)`)
	themeRE = regexp.MustCompile(`/theme/[0-9a-f]{10}\.css`)
	dataRE  = regexp.MustCompile(`(?s)<script type="application/json" id="foyer-data">(.*?)</script>`)
)

// getPage GETs a page and checks what every page answers.
func getPage(t *testing.T, c *Client, path string, opts ...Opt) *Response {
	t.Helper()
	r := c.Do(t, http.MethodGet, path, nil, append([]Opt{WithHeader("Accept", "text/html")}, opts...)...)
	require.Equal(t, http.StatusOK, r.Status, "GET %s: %s", path, r.Body)
	require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
	require.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
	require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	m := dataRE.FindSubmatch(decode(t, r))
	require.NotNil(t, m, "no data block")
	var data map[string]any
	require.NoError(t, json.Unmarshal(m[1], &data), "the data block is JSON")
	return r
}

func decode(t *testing.T, r *Response) []byte {
	t.Helper()
	var rd io.Reader = bytes.NewReader(r.Body)
	switch r.Header.Get("Content-Encoding") {
	case "br":
		rd = brotli.NewReader(rd)
	case "gzip":
		zr, err := gzip.NewReader(rd)
		require.NoError(t, err)
		rd = zr
	}
	b, err := io.ReadAll(rd)
	require.NoError(t, err)
	return b
}

func TestPagesHeadersAndAssets(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	for _, path := range []string{"/sign-in", "/sign-in/mfa-totp", "/register", "/register/verify-code", "/forgot-password", "/forgot-password/new-password"} {
		r := getPage(t, c, path)
		require.Equal(t, defaultCSP, r.Header.Get("Content-Security-Policy"), path)
		require.Equal(t, "en", r.Header.Get("Content-Language"))
		require.Contains(t, string(r.Body), `<html lang="en" dir="ltr">`)
	}
	requireError(t, c.Do(t, http.MethodGet, "/sign-in/No_Such", nil), http.StatusNotFound, "request.not_found")
	requireError(t, f.Client("nobody.foyer.test").Do(t, http.MethodGet, "/sign-in", nil), http.StatusNotFound, "tenant.not_found")

	// Every asset the page names is there, under its hash, for a year;
	// the modules it loads are all preloaded.
	r := getPage(t, c, "/sign-in", WithHeader("Accept-Encoding", "gzip"))
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
	html := string(decode(t, r))
	urls := assetRE.FindAllString(html, -1)
	require.NotEmpty(t, urls)
	require.Contains(t, html, `<script type="module" src="/assets/main.`)
	seen := map[string]bool{}
	var queue []string
	for _, u := range urls {
		if !seen[u] {
			seen[u] = true
			queue = append(queue, u)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		plain := c.Do(t, http.MethodGet, u, nil)
		require.Equal(t, http.StatusOK, plain.Status, u)
		require.Equal(t, "public, max-age=31536000, immutable", plain.Header.Get("Cache-Control"), u)
		require.Equal(t, "nosniff", plain.Header.Get("X-Content-Type-Options"))
		require.Empty(t, plain.Header.Get("Content-Encoding"))
		br := c.Do(t, http.MethodGet, u, nil, WithHeader("Accept-Encoding", "gzip, br"))
		require.Equal(t, "br", br.Header.Get("Content-Encoding"), u)
		require.Equal(t, plain.Body, decode(t, br))
		if strings.HasSuffix(u, ".js") {
			require.Equal(t, "text/javascript; charset=utf-8", plain.Header.Get("Content-Type"))
			// Imports name hashed assets too, so that a cached module never
			// imports a stale one; the page preloads them all.
			for _, dep := range assetRE.FindAllString(string(plain.Body), -1) {
				require.Contains(t, html, `<link rel="modulepreload" href="`+dep+`">`, "%s imports %s", u, dep)
				if !seen[dep] {
					seen[dep] = true
					queue = append(queue, dep)
				}
			}
			require.NotRegexp(t, `from\s*'\./`, string(plain.Body), "an import left unhashed in %s", u)
		}
	}
	requireError(t, c.Do(t, http.MethodGet, "/assets/main.0000000000.js", nil), http.StatusNotFound, "request.not_found")

	theme := themeRE.FindString(html)
	require.NotEmpty(t, theme)
	tr := c.Do(t, http.MethodGet, theme, nil)
	require.Equal(t, http.StatusOK, tr.Status)
	require.Equal(t, "public, max-age=31536000, immutable", tr.Header.Get("Cache-Control"))
	require.Contains(t, string(tr.Body), "--primary:#2747b8")
	stale := c.Do(t, http.MethodGet, "/theme/0000000000.css", nil)
	require.Equal(t, http.StatusOK, stale.Status)
	require.Equal(t, "no-cache", stale.Header.Get("Cache-Control"))

	// The demo app: the demo tenant in dev mode only.
	require.Contains(t, string(getPage(t, c, "/").Body), `<script type="module" src="/assets/demo.`)
	getPage(t, c, "/demo/callback?code=x&state=y")
	acme := createTenant(t, f, map[string]any{"slug": "acme"})
	requireError(t, f.Tenant(acme.Slug).Do(t, http.MethodGet, "/", nil), http.StatusNotFound, "request.not_found")
	requireError(t, c.Do(t, http.MethodGet, "/.well-known/webauthn", nil), http.StatusNotFound, "request.not_found")
}

func TestPagesLanguage(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	c := f.Demo()
	tests := []struct {
		query, accept, want string
	}{
		{"", "", "en"},
		{"?ui_locales=de", "", "de"},
		{"", "de-AT,de;q=0.9", "de"},
		{"?ui_locales=fr%20de-CH", "en", "de"},
		{"?ui_locales=en", "de", "en"},
		{"", "fr, ja;q=0.5", "en"},
		{"?ui_locales=%3Cscript%3E", "de", "de"},
	}
	for _, tt := range tests {
		r := getPage(t, c, "/sign-in"+tt.query, WithHeader("Accept-Language", tt.accept))
		require.Equal(t, tt.want, r.Header.Get("Content-Language"), "%q %q", tt.query, tt.accept)
		require.Contains(t, string(r.Body), `<html lang="`+tt.want+`"`)
	}
	de := string(getPage(t, c, "/register?ui_locales=de").Body)
	require.Contains(t, de, "Konto erstellen")
	require.Contains(t, de, `"error.session.invalid_credentials":"Benutzername, E-Mail-Adresse, Telefonnummer oder Passwort stimmen nicht."`)
}

func TestPagesBranding(t *testing.T) {
	t.Parallel()
	f := startFoyer(t, nil)
	acme := createTenant(t, f, map[string]any{"slug": "acme", "settings": map[string]any{
		"displayName": `Acme </script><script>alert(1)</script>`,
		"branding": map[string]any{
			"logoUrl": "https://cdn.acme.example/logo.svg", "darkLogoUrl": "https://img.acme.example/logo-dark.svg",
			"primaryColor": "#0a7f3f", "termsUrl": "https://acme.example/terms", "privacyUrl": "https://acme.example/privacy",
		},
	}})
	c := tenantBrowser(f, acme.Slug)
	r := getPage(t, c, "/register")
	html := string(r.Body)
	require.Equal(t, strings.Replace(defaultCSP, "img-src 'self' data:", "img-src 'self' data: https://cdn.acme.example https://img.acme.example", 1),
		r.Header.Get("Content-Security-Policy"), "the logos' origins, nothing else")
	require.Contains(t, html, `<source srcset="https://img.acme.example/logo-dark.svg" media="(prefers-color-scheme: dark)"><img class="logo" src="https://cdn.acme.example/logo.svg" alt="Acme &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`)
	require.NotContains(t, html, "<script>alert(1)")
	require.Contains(t, html, `<a href="https://acme.example/terms" rel="noreferrer">Terms of use</a>`)
	require.Contains(t, html, `<a href="https://acme.example/privacy" rel="noreferrer">Privacy notice</a>`)
	theme := c.Do(t, http.MethodGet, themeRE.FindString(html), nil)
	require.Equal(t, ":root{--primary:#0a7f3f;--on-primary:#ffffff}\n"+
		"@media (prefers-color-scheme:dark){:root{--primary:#78b995;--on-primary:#0b0c0c}}\n", string(theme.Body),
		"white on the dark green; a lighter green with dark text in dark mode")

	for _, tt := range []struct {
		settings    map[string]any
		field, rule string
	}{
		{map[string]any{"branding": map[string]any{"primaryColor": "green"}}, "settings.branding.primaryColor", "len"},
		{map[string]any{"branding": map[string]any{"logoUrl": "javascript:alert(1)"}}, "settings.branding.logoUrl", "http_url"},
		{map[string]any{"relatedOrigins": []string{"http://app.example"}}, "settings.relatedOrigins[0]", "origin"},
		{map[string]any{"relatedOrigins": []string{"https://app.example/path"}}, "settings.relatedOrigins[0]", "origin"},
	} {
		body, err := json.Marshal(map[string]any{"settings": tt.settings})
		require.NoError(t, err)
		r := f.Admin().Do(t, http.MethodPatch, "/api/admin/tenants/"+acme.ID, body, WithHeader("Content-Type", "application/json"))
		e := requireError(t, r, http.StatusBadRequest, "guard.invalid_input")
		require.Equal(t, []FieldError{{Field: tt.field, Rule: tt.rule, Param: e.Fields(t)[0].Param}}, e.Fields(t))
	}
}
