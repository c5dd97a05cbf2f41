package resources

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// Authenticator types of ZITADEL's WebAuthNAuthenticatorType.
const (
	typeUnspecified   = "WEB_AUTH_N_AUTHENTICATOR_UNSPECIFIED"
	typePlatform      = "WEB_AUTH_N_AUTHENTICATOR_PLATFORM"
	typeCrossPlatform = "WEB_AUTH_N_AUTHENTICATOR_CROSS_PLATFORM"
)

// RegistrationCode is ZITADEL's AuthenticatorRegistrationCode.
type RegistrationCode struct {
	ID   string `json:"id" validate:"required,min=1,max=200"`
	Code string `json:"code" validate:"required,min=1,max=200"`
}

// StartInput is ZITADEL's StartWebAuthNRegistration, the body of start.
type StartInput struct {
	Domain            string            `json:"domain" validate:"required,min=1,max=200"`
	AuthenticatorType string            `json:"authenticatorType" validate:"omitempty,oneof=WEB_AUTH_N_AUTHENTICATOR_UNSPECIFIED WEB_AUTH_N_AUTHENTICATOR_PLATFORM WEB_AUTH_N_AUTHENTICATOR_CROSS_PLATFORM"`
	Code              *RegistrationCode `json:"code"`
}

// CreationOptions wraps the creation options as ZITADEL's answer does:
// {"publicKey": ...}, the shape navigator.credentials.create() takes.
type CreationOptions struct {
	PublicKey rawJSON `json:"publicKey"`
}

// StartOutput is ZITADEL's StartWebAuthNRegistrationResponse.
type StartOutput struct {
	Details                            Details         `json:"details"`
	WebAuthNID                         string          `json:"webAuthNId"`
	PublicKeyCredentialCreationOptions CreationOptions `json:"publicKeyCredentialCreationOptions"`
}

// VerifyInput is ZITADEL's VerifyWebAuthNRegistration, the body of verify.
type VerifyInput struct {
	PublicKeyCredential rawJSON `json:"publicKeyCredential" validate:"required"`
	WebAuthNName        string  `json:"webAuthNName" validate:"required,min=1,max=200"`
}

func pendingKey(id string) string { return "id:" + id }

// start begins a registration for the user of the path, authorised by a
// management token or by a registration code of that user.
func (h *Handler) start(c *fiber.Ctx) error {
	in, err := httpx.Bind[StartInput](c, h.Binder)
	if err != nil {
		return err
	}
	t := tenant.From(c)
	ctx := c.UserContext()
	domain := strings.ToLower(in.Domain)
	if !domainOf(t, domain) {
		return httpx.InvalidField("domain", "oneof", strings.Join(domains(t), " "))
	}
	var p policy.Principal
	if in.Code == nil {
		if p, err = h.management(c); err != nil {
			return err
		}
	}
	u, err := h.user(c)
	if err != nil {
		return err
	}
	if in.Code != nil {
		if err := h.useCode(c, t, u.ID, *in.Code); err != nil {
			return err
		}
		p = policy.Principal{Via: policy.ViaCode}
	}
	choice := enroll.Choice{Method: enroll.MethodPasskey, Attachment: attachment(in.AuthenticatorType), RPID: domain}
	if err := h.Policies.Authorize(ctx, t.ID, policy.Request{Principal: p, Action: policy.ActionRegisterWebAuthn, User: u,
		Context: policy.Context{MethodType: enroll.MethodPasskey, Attachment: choice.Attachment, Domain: domain, FactorType: "webauthn"}}); err != nil {
		return err
	}
	wid := enroll.NewID()
	pending, opts, err := h.Enroll.Start(ctx, t, enroll.StartInput{Key: pendingKey(wid), ID: wid, User: u, Choice: choice, Via: p.Via})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(StartOutput{Details: detailsOf(t, u), WebAuthNID: pending.ID,
		PublicKeyCredentialCreationOptions: CreationOptions{PublicKey: opts}})
}

// verify answers a started registration and stores the passkey under its
// webAuthNId.
func (h *Handler) verify(c *fiber.Ctx) error {
	in, err := httpx.Bind[VerifyInput](c, h.Binder)
	if err != nil {
		return err
	}
	if _, err := httpx.Decode[enroll.RegistrationResponse](h.Binder, fiber.MIMEApplicationJSON, in.PublicKeyCredential); err != nil {
		return httpx.PrefixFields(err, "publicKeyCredential.")
	}
	t := tenant.From(c)
	ctx := c.UserContext()
	// A token, when sent, must be a management token; without one, only a
	// ceremony a registration code started may be answered.
	var p policy.Principal
	withToken := c.Get(fiber.HeaderAuthorization) != ""
	if withToken {
		if p, err = h.management(c); err != nil {
			return err
		}
	}
	id := c.Params("webAuthNId")
	u, _, err := h.Enroll.Complete(ctx, t, enroll.Completion{
		Key: pendingKey(id), Response: in.PublicKeyCredential, Name: in.WebAuthNName,
		Check: func(pd *enroll.Pending) error {
			if pd.UserID != c.Params("id") {
				return enroll.ErrNotPending // another user's ceremony is none of this path's
			}
			if !withToken {
				if pd.Via != policy.ViaCode {
					c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="management"`)
					return ErrUnauthenticated
				}
				p = policy.Principal{Via: policy.ViaCode}
			}
			return nil
		},
		Authorize: func(u *account.User, cred *account.Credential) error {
			return h.Policies.Authorize(ctx, t.ID, policy.Request{Principal: p, Action: policy.ActionRegisterWebAuthn, User: u,
				Context: policy.Context{MethodType: enroll.MethodPasskey, Attachment: cred.Attachment, Domain: cred.RPID, FactorType: "webauthn"}})
		},
	})
	if err != nil {
		return enroll.APIError(err)
	}
	return c.JSON(DetailsOutput{Details: detailsOf(t, u)})
}

// attachment maps ZITADEL's authenticator type to WebAuthn's attachment.
func attachment(typ string) string {
	switch typ {
	case typePlatform:
		return "platform"
	case typeCrossPlatform:
		return "cross-platform"
	}
	return ""
}

// domains are the tenant's possible RP IDs: its configured one and its hosts.
func domains(t *tenant.Tenant) []string {
	out := []string{t.RPID()}
	for _, h := range t.Hosts {
		if h != out[0] {
			out = append(out, h)
		}
	}
	return out
}

func domainOf(t *tenant.Tenant, d string) bool {
	for _, x := range domains(t) {
		if x == d {
			return true
		}
	}
	return false
}
