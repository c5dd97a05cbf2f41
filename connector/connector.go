package connector

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"unicode"
)

// ErrDelivery wraps every failure to hand a message to its channel. Callers
// map it to 502 Bad Gateway: the fault lies with an upstream mail server or
// SMS gateway, not with the request.
var ErrDelivery = errors.New("connector: delivery failed")

// Purposes of a code, as named by the interaction events that send one.
const (
	PurposeSignIn         = "SignIn"
	PurposeRegister       = "Register"
	PurposeForgotPassword = "ForgotPassword"
	// PurposeInvite tells someone an admin made them an account: it carries
	// no code, and points them to "Forgot password" to choose a password.
	PurposeInvite = "Invite"
	// PurposePasskeyLink: a link (with a one-time code in it) to register
	// a passkey without signing in.
	PurposePasskeyLink = "PasskeyRegistration"
)

// Message is one code to deliver.
type Message struct {
	To         string // normalised email address or E.164 phone number
	Code       string
	Locale     string // BCP 47 tag of the UI the user is in, e.g. "en" or "de-CH"
	TenantName string
	Purpose    string // PurposeSignIn, PurposeRegister, PurposeForgotPassword or PurposePasskeyLink
	// Link, for PurposePasskeyLink, is the URL to open; Code is then the
	// code inside it.
	Link string
}

// Sender delivers a message; an error wraps ErrDelivery.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var (
	_ Sender = (*SMTP)(nil)
	_ Sender = (*Webhook)(nil)
	_ Sender = (*Log)(nil)
)

//go:embed templates/*
var templateFS embed.FS

// The templates are parsed once from embedded files, so a broken template
// fails every test instead of a production send.
var (
	textTemplates = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/*.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/*.html.tmpl"))
)

// view is what the templates see.
type view struct {
	Code       string
	TenantName string
	Lang       string
	Action     string // what the code lets the user do, e.g. "sign in"
	Invite     bool   // an invitation, not a code
	Link       string // a link to open instead of a code to type
}

func newView(m Message) view {
	v := view{Code: m.Code, TenantName: oneLine(m.TenantName), Lang: m.Locale, Action: "continue", Link: m.Link}
	switch m.Purpose {
	case PurposeSignIn:
		v.Action = "sign in"
	case PurposeRegister:
		v.Action = "create your account"
	case PurposeForgotPassword:
		v.Action = "reset your password"
	case PurposeInvite:
		v.Invite = true
	case PurposePasskeyLink:
		v.Action = "register a passkey"
	}
	if v.Lang == "" {
		v.Lang = "en"
	}
	return v
}

func renderText(name string, v view) (string, error) {
	var b bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

func renderHTML(name string, v view) (string, error) {
	var b bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&b, name, v); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// subject is "Your <tenant> verification code", "Your <tenant> account"
// for an invitation, or "Register a passkey for <tenant>" for a link.
func subject(tenantName, purpose string, link bool) string {
	name := oneLine(tenantName)
	switch {
	case link && name != "":
		return "Register a passkey for " + name
	case link:
		return "Register a passkey"
	case purpose == PurposeInvite && name != "":
		return "Your " + name + " account"
	case purpose == PurposeInvite:
		return "Your new account"
	case name != "":
		return "Your " + name + " verification code"
	}
	return "Your verification code"
}

// oneLine drops control characters (CR and LF above all) from text that
// tenant administrators write and that ends up in a mail header or an SMS.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s))
}
