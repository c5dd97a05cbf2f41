// Package web serves Foyer's hosted sign-in experience: the pages at
// /sign-in, /register and /forgot-password (and the steps they lead to) on
// every tenant host, and in dev mode the demo app at / on the demo tenant.
//
// The pages are plain HTML, CSS and ES modules embedded in the binary, with
// no build step: templates/ holds the HTML (one page whose steps are
// <template> elements, rendered in the visitor's language), static/ the CSS
// and the modules (one job each), i18n/ one string catalogue per language.
// The scripts drive only the public API (/api/interaction, /api/session);
// nothing here reaches into an interaction.
//
// Invariants:
//   - Pages carry a strict Content-Security-Policy (no inline script or
//     style, no framing, Trusted Types), nosniff and no-referrer, and are
//     never cached. Data for the scripts travels in a JSON data block, which
//     is not executed.
//   - Assets are served under names carrying a hash of their content
//     (imports between modules are rewritten to those names at start-up, so
//     a module's hash covers what it imports) and cached for a year.
//   - Every text a person reads comes from the catalogue of the language
//     negotiated from ui_locales, then Accept-Language.
package web
