package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"regexp"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

//go:embed static templates i18n
var files embed.FS

// Handler serves the hosted pages, their assets, the tenant theme, the
// related origins document and, in dev mode, the demo app.
type Handler struct {
	assets  *Assets
	catalog *Catalog
	pages   *template.Template
}

// New loads the embedded pages. It fails if an asset, a template or a
// catalogue is broken, so a bad build never serves half a page.
func New() (*Handler, error) {
	return load(files)
}

func load(fsys fs.FS) (*Handler, error) {
	sub := func(dir string) fs.FS {
		s, _ := fs.Sub(fsys, dir)
		return s
	}
	assets, err := loadAssets(sub("static"))
	if err != nil {
		return nil, err
	}
	catalog, err := loadCatalog(sub("i18n"))
	if err != nil {
		return nil, err
	}
	pages, err := template.ParseFS(sub("templates"), "*.html")
	if err != nil {
		return nil, err
	}
	return &Handler{assets: assets, catalog: catalog, pages: pages}, nil
}

// Flows are the hosted pages' entry points and the interaction event each
// drives.
var flows = map[string]string{"sign-in": "SignIn", "register": "Register", "forgot-password": "ForgotPassword"}

// stepRE is what may follow a flow in a page URL (/sign-in/mfa-totp): the
// scripts pick the step; the server serves the same page for all.
var stepRE = regexp.MustCompile(`^[a-z][a-z-]{0,39}$`)

// Mount registers the routes on r. tenantMW resolves the request's tenant;
// it is attached per route, never to a group, so it cannot leak onto other
// routes sharing a prefix.
func (h *Handler) Mount(r fiber.Router, tenantMW fiber.Handler) {
	r.Get(assetPrefix+":file", h.asset)
	for flow := range flows {
		r.Get("/"+flow, tenantMW, h.page(flow))
		r.Get("/"+flow+"/:step", tenantMW, h.page(flow))
	}
	r.Get("/theme/:file", tenantMW, h.theme)
	r.Get("/.well-known/webauthn", tenantMW, h.relatedOrigins)
	r.Get("/", tenantMW, h.demo)
	r.Get("/demo/callback", tenantMW, h.demo)
}

func (h *Handler) asset(c *fiber.Ctx) error {
	as := h.assets.byURL[c.Path()]
	if as == nil {
		return httpx.ErrRouteNotFound
	}
	assetHeaders(c, as.ctype)
	gz, br := as.encoded()
	return sendEncoded(c, as.body, gz, br)
}

func (h *Handler) theme(c *fiber.Ctx) error {
	th := themeOf(tenant.From(c).Settings.Branding)
	assetHeaders(c, contentTypes[".css"])
	if c.Params("file") != th.hash+".css" {
		// An old link after a branding change: the current theme, not to
		// be kept under a name that no longer matches it.
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return c.Send(th.css)
}

// pageData is what the page templates see.
type pageData struct {
	Lang, Dir, Flow, Path string
	Name                  string
	Branding              tenant.Branding
	SignUp                signUpView
	Code                  codeView
	PasswordMin           int
	CSS, Theme, Favicon   string
	Entry                 string
	Preloads              []string
	Langs                 []langLink
	Script                any

	catalog *Catalog
}

type signUpView struct{ Username, Email, Phone, Password, Passwordless bool }

type codeView struct{ Email, Phone bool }

type langLink struct {
	Lang, Name, URL string
	Current         bool
}

// T is the text of key in the page's language; args are placeholder name,
// value pairs.
func (p pageData) T(key string, args ...string) string { return p.catalog.Text(p.Lang, key, args...) }

// script is the page's data block (<script type="application/json">),
// read by data.js.
type script struct {
	Locale       string            `json:"locale"`
	Flow         string            `json:"flow"`
	Interaction  bool              `json:"interaction"`
	SignUp       tenant.SignUp     `json:"signUp"`
	Passwordless bool              `json:"passwordless"`
	Code         codeJSON          `json:"code"`
	Password     passwordJSON      `json:"password"`
	ClientID     string            `json:"clientId,omitempty"`
	Messages     map[string]string `json:"messages"`
}

type codeJSON struct {
	Email bool `json:"email"`
	Phone bool `json:"phone"`
}

type passwordJSON struct {
	MinLength int `json:"minLength"`
	MinScore  int `json:"minScore"`
}

func (h *Handler) page(flow string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if step := c.Params("step"); step != "" && !stepRE.MatchString(step) {
			return httpx.ErrRouteNotFound
		}
		t := tenant.From(c)
		p := h.base(c, t, flow, "main.js")
		s := t.Settings
		has := func(f string) bool {
			for _, id := range s.SignUp.Identifiers {
				if id == f {
					return true
				}
			}
			return false
		}
		p.SignUp = signUpView{Username: has("username"), Email: has("email"), Phone: has("phone"),
			Password: s.SignUp.Password, Passwordless: s.Passkey.Passwordless}
		p.Code = codeView{Email: t.Delivers("email"), Phone: t.Delivers("phone")}
		p.PasswordMin = verification.MinPasswordLen
		p.Script = script{
			Locale: p.Lang, Flow: flow, Interaction: hasInteraction(c, t),
			SignUp: s.SignUp, Passwordless: s.Passkey.Passwordless,
			Code:     codeJSON(p.Code),
			Password: passwordJSON{MinLength: verification.MinPasswordLen, MinScore: s.Password.MinScore},
			Messages: h.catalog.Script(p.Lang),
		}
		return h.render(c, "page.html", p)
	}
}

// base fills what every page has: language, tenant, assets.
func (h *Handler) base(c *fiber.Ctx, t *tenant.Tenant, flow, entry string) pageData {
	lang := h.catalog.Negotiate(c.Query("ui_locales"), c.Get(fiber.HeaderAcceptLanguage))
	p := pageData{
		Lang: lang, Dir: Dir(lang), Flow: flow, Path: c.Path(), Name: t.Name(), Branding: t.Settings.Branding,
		CSS: h.assets.URL("foyer.css"), Favicon: h.assets.URL("favicon.svg"),
		Theme: "/theme/" + themeOf(t.Settings.Branding).hash + ".css",
		Entry: h.assets.URL(entry), Preloads: h.assets.Preloads(entry),
		catalog: h.catalog,
	}
	for _, l := range h.catalog.Langs() {
		p.Langs = append(p.Langs, langLink{Lang: l, Name: h.catalog.Text(l, "lang.name"),
			URL: c.Path() + "?ui_locales=" + l, Current: l == lang})
	}
	return p
}

func (h *Handler) render(c *fiber.Ctx, name string, p pageData) error {
	var buf bytes.Buffer
	if err := h.pages.ExecuteTemplate(&buf, name, p); err != nil {
		return err
	}
	pageHeaders(c, origins(p.Branding.LogoURL, p.Branding.DarkLogoURL))
	c.Set(fiber.HeaderContentLanguage, p.Lang)
	return gzipPage(c, buf.Bytes())
}

// hasInteraction tells the page whether the browser brings an interaction
// cookie (set by the OpenID provider's authorization request, or by an
// earlier visit), so that it joins that interaction instead of starting
// another. The cookie is HttpOnly: only the server can see it.
func hasInteraction(c *fiber.Ctx, t *tenant.Tenant) bool {
	secure := !t.Dev || httpx.Scheme(c) == "https"
	return c.Cookies(session.CookieName(session.InteractionCookie, secure)) != ""
}

// demo serves the demo app (dev mode, demo tenant only): a single-page
// OpenID Connect client of the tenant's own provider.
func (h *Handler) demo(c *fiber.Ctx) error {
	t := tenant.From(c)
	if !t.Dev || t.Slug != "demo" {
		return httpx.ErrRouteNotFound
	}
	p := h.base(c, t, "demo", "demo.js")
	p.Script = script{Locale: p.Lang, Flow: "demo", ClientID: "demo", Messages: h.catalog.Script(p.Lang)}
	return h.render(c, "demo.html", p)
}

// relatedOriginsDoc is the well-known document of W3C WebAuthn L3 §5.11.1.
type relatedOriginsDoc struct {
	Origins []string `json:"origins"`
}

// relatedOrigins serves GET /.well-known/webauthn on the tenant's RP ID
// host: the origins on other domains whose pages may use the RP ID. A
// browser fetches it over https, without cookies, when a page's origin is
// not the RP ID or under it.
func (h *Handler) relatedOrigins(c *fiber.Ctx) error {
	t := tenant.From(c)
	if tenant.NormalizeHost(c.Get(fiber.HeaderHost)) != t.RPID() || len(t.Settings.RelatedOrigins) == 0 {
		return httpx.ErrRouteNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.JSON(relatedOriginsDoc{Origins: t.Settings.RelatedOrigins})
}
