package resources

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// CodeTTL is how long a registration code may start a registration.
const CodeTTL = 15 * time.Minute

// LinkInput is ZITADEL's CreateWebAuthNRegistrationLinkRequest medium: one
// of sendLink (email the link) or returnCode (answer the code). Neither
// sends the email with the default link, as ZITADEL does.
type LinkInput struct {
	SendLink   *SendLink   `json:"sendLink"`
	ReturnCode *ReturnCode `json:"returnCode"`
}

// SendLink is ZITADEL's SendWebAuthNRegistrationLink.
type SendLink struct {
	// URLTemplate is a text/template for the link: {{.UserID}}, {{.OrgID}}
	// (the tenant id), {{.CodeID}} and {{.Code}}, query-escaped.
	URLTemplate string `json:"urlTemplate" validate:"omitempty,min=1,max=200"`
}

// ReturnCode is ZITADEL's ReturnWebAuthNRegistrationCode: an empty object.
type ReturnCode struct{}

// LinkOutput is ZITADEL's CreateWebAuthNRegistrationLinkResponse.
type LinkOutput struct {
	Details Details           `json:"details"`
	Code    *RegistrationCode `json:"code,omitempty"`
}

func codeKey(tid, id string) string { return "foyer:t:{" + tid + "}:regcode:" + id }

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// newCode returns a code of 20 base32 characters: 100 random bits, which
// no one guesses online or inverts from its SHA-256.
func newCode() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b[:])
}

const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func (h *Handler) registrationLink(c *fiber.Ctx) error {
	in, err := httpx.Bind[LinkInput](c, h.Binder)
	if err != nil {
		return err
	}
	if in.SendLink != nil && in.ReturnCode != nil {
		return httpx.InvalidField("returnCode", "excluded_with", "sendLink")
	}
	p, err := h.management(c)
	if err != nil {
		return err
	}
	t := tenant.From(c)
	ctx := c.UserContext()
	u, err := h.user(c)
	if err != nil {
		return err
	}
	tmpl := defaultLink(c, t)
	if in.SendLink != nil && in.SendLink.URLTemplate != "" {
		tmpl = in.SendLink.URLTemplate
	}
	parsed, err := template.New("link").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return httpx.InvalidField("sendLink.urlTemplate", "template", "text/template with .UserID .OrgID .CodeID .Code")
	}
	if err := h.Policies.Authorize(ctx, t.ID, policy.Request{Principal: p, Action: policy.ActionCreateRegistrationLink, User: u,
		Context: policy.Context{MethodType: enroll.MethodPasskey, FactorType: "webauthn"}}); err != nil {
		return err
	}
	send := in.ReturnCode == nil
	var sender connector.Sender
	if send {
		if u.PrimaryEmail == "" {
			return ErrNoEmail
		}
		if sender, err = h.Senders(t, "email"); err != nil {
			return err
		}
	}
	code := RegistrationCode{ID: enroll.NewID(), Code: newCode()}
	link, err := render(parsed, t, u, code)
	if err != nil {
		return httpx.InvalidField("sendLink.urlTemplate", "url", "an absolute http(s) URL once filled in")
	}
	if err := h.Codes.HSet(ctx, codeKey(t.ID, code.ID), "uid", u.ID, "hash", hashCode(code.Code)).Err(); err != nil {
		return unavailable(err)
	}
	if err := h.Codes.PExpire(ctx, codeKey(t.ID, code.ID), CodeTTL).Err(); err != nil {
		return unavailable(err)
	}
	out := LinkOutput{Details: detailsOf(t, u)}
	if send {
		if err := sender.Send(ctx, connector.Message{To: u.PrimaryEmail, Code: code.Code, Link: link,
			TenantName: t.Name(), Purpose: connector.PurposePasskeyLink}); err != nil {
			_ = h.Codes.Del(context.WithoutCancel(ctx), codeKey(t.ID, code.ID)).Err()
			if errors.Is(err, connector.ErrDelivery) {
				return ErrDelivery.WithCause(err)
			}
			return err
		}
	} else {
		out.Code = &code
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// defaultLink is where the email sends the user without a urlTemplate: the
// tenant's own host.
func defaultLink(c *fiber.Ctx, t *tenant.Tenant) string {
	host := c.Get(fiber.HeaderHost)
	scheme := "https"
	if t.Dev && httpx.Scheme(c) == "http" {
		scheme = "http"
	}
	return scheme + "://" + host + "/passkey/register?userID={{.UserID}}&orgID={{.OrgID}}&codeID={{.CodeID}}&code={{.Code}}"
}

// render fills the link template with query-escaped values and checks the
// result is an absolute http(s) URL.
func render(tmpl *template.Template, t *tenant.Tenant, u *account.User, code RegistrationCode) (string, error) {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]string{
		"UserID": url.QueryEscape(u.ID), "OrgID": url.QueryEscape(t.ID),
		"CodeID": url.QueryEscape(code.ID), "Code": url.QueryEscape(code.Code),
	}); err != nil {
		return "", err
	}
	link := b.String()
	pu, err := url.Parse(link)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || strings.ContainsAny(link, "\r\n") {
		return "", fmt.Errorf("resources: link %q is not an absolute http(s) URL", link)
	}
	return link, nil
}

// useScript consumes a registration code if it is the user's and the
// secret matches: {1} used, {0} no such code (used, expired, never made),
// {-1} another user's or a wrong secret (left in place, so that a guess
// cannot burn someone's code).
var useScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'uid', 'hash')
if not v[1] then return 0 end
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return -1 end
redis.call('DEL', KEYS[1])
return 1`)

// useCode spends a registration code of user uid.
func (h *Handler) useCode(c *fiber.Ctx, t *tenant.Tenant, uid string, code RegistrationCode) error {
	n, err := useScript.Run(c.UserContext(), h.Codes, []string{codeKey(t.ID, code.ID)}, uid, hashCode(code.Code)).Int()
	if err != nil {
		return unavailable(err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		return ErrCodeGone
	}
	return ErrPermission
}

// ErrDelivery: the tenant's mail server did not take the message.
var ErrDelivery = httpx.New(fiber.StatusBadGateway, "connector.delivery_failed", "The message could not be delivered. Please try again later.")

// ErrUnavailable: Redis did not answer.
var ErrUnavailable = errors.New("resources: storage unavailable")

func unavailable(err error) error { return fmt.Errorf("%w: %w", ErrUnavailable, err) }
