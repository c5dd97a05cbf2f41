package myaccount

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// RegisterOutput is the answer of POST /mfa/webauthn/register.
type RegisterOutput struct {
	Options json.RawMessage `json:"options"`
}

// CompleteInput is the body of POST /mfa/webauthn/register/complete.
type CompleteInput struct {
	Credential json.RawMessage `json:"credential" validate:"required"`
	DeviceName string          `json:"device_name" validate:"max=64"`
	MethodType string          `json:"method_type" validate:"max=64"`
}

// RenameInput is the body of PATCH /mfa/webauthn/{factorId}.
type RenameInput struct {
	Name string `json:"name" validate:"required,min=1,max=64"`
}

// methodType reads a method_type: absent is a passkey; one Foyer does not
// offer is 501, as the seeds say.
func methodType(s string) (string, error) {
	switch s {
	case "":
		return enroll.MethodPasskey, nil
	case enroll.MethodPasskey, enroll.MethodSecurityKey:
		return s, nil
	}
	return "", ErrNotImplemented.WithDetails(httpx.FieldDetails{Fields: []httpx.FieldError{{Field: "method_type", Rule: "oneof", Param: enroll.MethodPasskey + " " + enroll.MethodSecurityKey}}})
}

// origin is the request's browser origin when it is one of the tenant's,
// else "" (any of the tenant's origins may answer the ceremony).
func origin(c *fiber.Ctx, t *tenant.Tenant) string {
	if o := c.Get(fiber.HeaderOrigin); o != "" && t.AllowsOrigin(o) {
		return o
	}
	return ""
}

func (h *Handler) registerWebAuthn(c *fiber.Ctx) error {
	method, err := methodType(c.Query("method_type"))
	if err != nil {
		return err
	}
	t := tenant.From(c)
	opts, err := h.Service.StartWebAuthn(c.UserContext(), t, callerOf(c), origin(c, t), method)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(RegisterOutput{Options: opts})
}

func (h *Handler) completeWebAuthn(c *fiber.Ctx) error {
	in, err := httpx.Bind[CompleteInput](c, h.Binder)
	if err != nil {
		return err
	}
	method, err := methodType(in.MethodType)
	if err != nil {
		return err
	}
	// The credential's shape is checked once the pending enrolment is
	// taken: without one the answer is 404 whatever the body holds (the
	// seeds' example sends "credential": {}).
	shape := func() error {
		_, err := httpx.Decode[enroll.RegistrationResponse](h.Binder, fiber.MIMEApplicationJSON, in.Credential)
		return httpx.PrefixFields(err, "credential.")
	}
	out, err := h.Service.CompleteWebAuthn(c.UserContext(), tenant.From(c), callerOf(c), method, in.DeviceName, in.Credential, shape)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) renameWebAuthn(c *fiber.Ctx) error {
	in, err := httpx.Bind[RenameInput](c, h.Binder)
	if err != nil {
		return err
	}
	f, err := h.Service.RenameWebAuthn(c.UserContext(), tenant.From(c), callerOf(c), c.Params("factorId"), in.Name)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

func (h *Handler) removeWebAuthn(c *fiber.Ctx) error {
	if err := h.Service.RemoveFactor(c.UserContext(), tenant.From(c), callerOf(c), factorWebAuthn, c.Params("factorId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func meKey(uid string) string { return "me:" + uid }

// StartWebAuthn begins the user's enrolment of a passkey or security key,
// replacing any enrolment of theirs still pending.
func (s *Service) StartWebAuthn(ctx context.Context, t *tenant.Tenant, cl *Caller, origin, method string) (json.RawMessage, error) {
	choice := enroll.Choice{Method: method}
	reg := choice.Registration(t)
	if err := s.authorize(ctx, t, cl, policy.ActionRegisterWebAuthn, policy.Context{
		MethodType: method, Attachment: reg.Passkey.AuthenticatorAttachment, Domain: t.RPID(), FactorType: factorWebAuthn,
	}); err != nil {
		return nil, err
	}
	_, opts, err := s.Enroll.Start(ctx, t, enroll.StartInput{Key: meKey(cl.User.ID), User: cl.User, Choice: choice, Origin: origin, Via: policy.ViaBearer})
	return opts, err
}

// CompleteWebAuthn verifies the answer to the user's pending enrolment and
// adds the credential, with ten backup codes if it is the account's first
// second factor.
// shape, when set, checks the response's shape once the enrolment is taken.
func (s *Service) CompleteWebAuthn(ctx context.Context, t *tenant.Tenant, cl *Caller, method, name string, response []byte, shape func() error) (CodesOutput, error) {
	// Without a pending enrolment, answer before hashing backup codes.
	if _, err := s.Enroll.Pending(ctx, t, meKey(cl.User.ID)); err != nil {
		return CodesOutput{}, enroll.APIError(err)
	}
	codes, err := s.prepareCodes(ctx, cl.User)
	if err != nil {
		return CodesOutput{}, err
	}
	if name == "" {
		name = defaultName(method)
	}
	u, _, err := s.completeWebAuthn(ctx, t, cl.Principal, enroll.Completion{
		Key: meKey(cl.User.ID), Response: response, Name: name,
		Check: func(p *enroll.Pending) error {
			if p.Choice.Method != method || p.UserID != cl.User.ID {
				return enroll.ErrNotPending // the pending enrolment is of another kind
			}
			if shape != nil {
				return shape()
			}
			return nil
		},
		Apply: func(u *account.User) error {
			codes.apply(u, u.SecondFactors()-1)
			return nil
		},
	}, method)
	if err != nil {
		return CodesOutput{}, err
	}
	return codes.output(u), nil
}

// completeWebAuthn is Complete with the policy checked again on what the
// authenticator reported, and the core's errors as API errors. Every
// surface completes through it.
func (s *Service) completeWebAuthn(ctx context.Context, t *tenant.Tenant, p policy.Principal, in enroll.Completion, method string) (*account.User, account.Credential, error) {
	in.Authorize = func(u *account.User, cred *account.Credential) error {
		return s.Policies.Authorize(ctx, t.ID, policy.Request{Principal: p, Action: policy.ActionRegisterWebAuthn, User: u,
			Context: policy.Context{MethodType: method, Attachment: cred.Attachment, Domain: cred.RPID, FactorType: factorWebAuthn}})
	}
	u, cred, err := s.Enroll.Complete(ctx, t, in)
	return u, cred, enroll.APIError(err)
}

func defaultName(method string) string {
	if method == enroll.MethodSecurityKey {
		return "Security key"
	}
	return "Passkey"
}

// RenameWebAuthn renames one of the user's credentials.
func (s *Service) RenameWebAuthn(ctx context.Context, t *tenant.Tenant, cl *Caller, id, name string) (Factor, error) {
	if err := s.authorize(ctx, t, cl, policy.ActionRenameFactor, policy.Context{FactorType: factorWebAuthn}); err != nil {
		return Factor{}, err
	}
	var out Factor
	_, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		i := slices.IndexFunc(u.MFA.WebAuthn, func(c account.Credential) bool { return c.PublicID() == id })
		if i < 0 {
			return ErrNotFound
		}
		u.MFA.WebAuthn[i].Name = name
		out = webAuthnFactor(&u.MFA.WebAuthn[i])
		return nil
	})
	return out, err
}
