package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Catalog holds one string catalogue per language, i18n/<lang>.json: a flat
// map from key to text, with {name} placeholders. Keys under "error." (a
// human message per API error code) and "js." (what the scripts say) are
// sent to the page; the rest are used only in the server-rendered HTML.
type Catalog struct {
	langs   []string // the default first
	matcher language.Matcher
	texts   map[string]map[string]string
}

// defaultLang is the language of the pages when nothing else is asked for.
const defaultLang = "en"

// rtl are the languages written right to left; none is shipped yet, but the
// pages set dir= from this so that adding one is only a catalogue.
var rtl = map[string]bool{"ar": true, "fa": true, "he": true, "ur": true}

func loadCatalog(fsys fs.FS) (*Catalog, error) {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{texts: map[string]map[string]string{}}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
		lang := strings.TrimSuffix(f, ".json")
		c.texts[lang] = m
		c.langs = append(c.langs, lang)
	}
	if c.texts[defaultLang] == nil {
		return nil, fmt.Errorf("catalogue: no %s.json", defaultLang)
	}
	slices.SortFunc(c.langs, func(a, b string) int {
		switch {
		case a == defaultLang:
			return -1
		case b == defaultLang:
			return 1
		}
		return strings.Compare(a, b)
	})
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		tags[i] = language.MustParse(l)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// Negotiate picks the language of a page: the first of the OpenID Connect
// ui_locales (space-separated, in order of preference) that a catalogue
// serves, else the best match of Accept-Language, else the default.
func (c *Catalog) Negotiate(uiLocales, acceptLanguage string) string {
	for _, s := range strings.Fields(uiLocales) {
		tag, err := language.Parse(s)
		if err != nil {
			continue
		}
		if _, i, conf := c.matcher.Match(tag); conf != language.No {
			return c.langs[i]
		}
	}
	if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(tags) > 0 {
		if _, i, conf := c.matcher.Match(tags...); conf != language.No {
			return c.langs[i]
		}
	}
	return defaultLang
}

// Text returns the text of key in lang with its placeholders filled from
// args (name, value, name, value...). A key missing in lang falls back to
// the default language, then to the key itself (a test keeps both from
// happening).
func (c *Catalog) Text(lang, key string, args ...string) string {
	s, ok := c.texts[lang][key]
	if !ok {
		if s, ok = c.texts[defaultLang][key]; !ok {
			return key
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// Script returns the texts of lang the scripts use.
func (c *Catalog) Script(lang string) map[string]string {
	out := map[string]string{}
	for _, l := range []string{defaultLang, lang} {
		for k, v := range maps.All(c.texts[l]) {
			if strings.HasPrefix(k, "error.") || strings.HasPrefix(k, "js.") {
				out[k] = v
			}
		}
	}
	return out
}

// Langs lists the languages served, the default first.
func (c *Catalog) Langs() []string { return slices.Clone(c.langs) }

// Dir is the writing direction of lang.
func Dir(lang string) string {
	if rtl[lang] {
		return "rtl"
	}
	return "ltr"
}
