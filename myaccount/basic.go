package myaccount

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// VerifyOutput is the answer of POST /api/v1/webauthn/registration/verify/.
type VerifyOutput struct {
	Verified bool   `json:"verified"`
	Factor   Factor `json:"factor"`
}

// basic authenticates the Mailcheap-style calls: HTTP Basic (RFC 7617)
// with a username (or the account's email) and one of its personal access
// tokens. Any failure is the same 401.
func (h *Handler) basic(c *fiber.Ctx) error {
	t := tenant.From(c)
	u, err := h.Service.BasicUser(c.UserContext(), t, c.Get(fiber.HeaderAuthorization))
	if errors.Is(err, ErrBasic) {
		c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="webauthn", charset="UTF-8"`)
	}
	if err != nil {
		return err
	}
	cl := &Caller{User: u, Principal: policy.Principal{AAL: 1, Via: policy.ViaToken}}
	c.SetUserContext(context.WithValue(c.UserContext(), callerKey{}, cl))
	return c.Next()
}

// BasicUser returns the user whose username (or email) and personal access
// token an Authorization: Basic header carries, or ErrBasic.
func (s *Service) BasicUser(ctx context.Context, t *tenant.Tenant, header string) (*account.User, error) {
	cred, ok := credentials(header, "Basic")
	if !ok {
		return nil, ErrBasic
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return nil, ErrBasic
	}
	name, token, ok := strings.Cut(string(raw), ":")
	if !ok || name == "" || token == "" || len(name) > 256 || len(token) > 256 {
		return nil, ErrBasic
	}
	u, err := s.Accounts.Find(ctx, t.ID, account.KindUsername, account.NormalizeUsername(name))
	if errors.Is(err, account.ErrNotFound) {
		if email, nerr := account.NormalizeEmail(name); nerr == nil {
			u, err = s.Accounts.Find(ctx, t.ID, account.KindEmail, email)
		}
	}
	if errors.Is(err, account.ErrNotFound) {
		return nil, ErrBasic
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	tok, ok := matchToken(u, token, now)
	if !ok {
		return nil, ErrBasic
	}
	if now.Sub(tok.LastUsedAt) > time.Minute {
		// Best effort, at most once a minute: a failure to note the use
		// must not refuse the call.
		_, _ = s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
			for i := range u.Tokens {
				if u.Tokens[i].ID == tok.ID {
					u.Tokens[i].LastUsedAt = now.UTC()
				}
			}
			return nil
		})
	}
	return u, nil
}

func basicKey(uid string) string { return "basic:" + uid }

// basicOptions answers the creation options at the top level, under the
// tenant's own passkey preferences, as Mailcheap's GET does.
func (h *Handler) basicOptions(c *fiber.Ctx) error {
	t := tenant.From(c)
	cl := callerOf(c)
	s := h.Service
	ctx := c.UserContext()
	p := t.Settings.Passkey
	if err := s.authorize(ctx, t, cl, policy.ActionRegisterWebAuthn, policy.Context{
		MethodType: enroll.MethodPasskey, Attachment: p.AuthenticatorAttachment, Domain: t.RPID(), FactorType: factorWebAuthn,
	}); err != nil {
		return err
	}
	_, opts, err := s.Enroll.Start(ctx, t, enroll.StartInput{Key: basicKey(cl.User.ID), User: cl.User, Origin: origin(c, t), Via: policy.ViaToken})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(opts)
}

// basicVerify answers the pending options with the credential JSON as the
// body. A JSON body is required (see the package doc on CSRF).
func (h *Handler) basicVerify(c *fiber.Ctx) error {
	if _, err := httpx.Bind[enroll.RegistrationResponse](c, h.Binder); err != nil {
		return err
	}
	t := tenant.From(c)
	cl := callerOf(c)
	// No backup codes here: this answer has nowhere to show them; the
	// account API's backup-codes call makes them.
	_, cred, err := h.Service.completeWebAuthn(c.UserContext(), t, cl.Principal, enroll.Completion{
		Key: basicKey(cl.User.ID), Response: httpx.Body(c), Name: "Passkey",
	}, enroll.MethodPasskey)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(VerifyOutput{Verified: true, Factor: webAuthnFactor(&cred)})
}
