package web

import (
	"bytes"
	"compress/gzip"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// csp is the Content-Security-Policy of every page: scripts, styles and
// connections from this origin only, no inline script or style (no
// 'unsafe-inline', no nonces), no framing, no plugins, no <base> tricks,
// and Trusted Types enforced so that no script can reach an HTML sink such
// as innerHTML. imgOrigins are the tenant's logo origins.
func csp(imgOrigins []string) string {
	img := "'self' data:"
	for _, o := range imgOrigins {
		img += " " + o
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + img,
		"connect-src 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"require-trusted-types-for 'script'",
		"trusted-types 'none'",
	}, "; ")
}

// origins returns the distinct origins of absolute URLs, for the CSP.
func origins(urls ...string) []string {
	var out []string
	for _, s := range urls {
		u, err := url.Parse(s)
		if s == "" || err != nil || u.Host == "" {
			continue
		}
		if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// pageHeaders are the headers of every HTML page. Pages are never stored:
// they carry per-request choices (language, tenant branding) and the
// interaction is the server's to remember, not a cache's.
func pageHeaders(c *fiber.Ctx, imgOrigins []string) {
	c.Set("Content-Security-Policy", csp(imgOrigins))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
}

// assetHeaders are the headers of a file served under its content hash.
func assetHeaders(c *fiber.Ctx, ctype string) {
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// accepts reports whether the Accept-Encoding header allows coding (a
// coding listed with q=0 is refused; no header allows none).
func accepts(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// sendEncoded answers body in the best coding the client accepts, from the
// forms made in advance (nil: that form is not available).
func sendEncoded(c *fiber.Ctx, body, gz, br []byte) error {
	c.Vary(fiber.HeaderAcceptEncoding)
	ae := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case br != nil && accepts(ae, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(br)
	case gz != nil && accepts(ae, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(gz)
	}
	return c.Send(body)
}

// gzipPage compresses a rendered page for a client that accepts it; pages
// are a few kilobytes, so the default level is enough.
func gzipPage(c *fiber.Ctx, body []byte) error {
	if !accepts(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Vary(fiber.HeaderAcceptEncoding)
		return c.Send(body)
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return sendEncoded(c, body, buf.Bytes(), nil)
}
