package interaction

import (
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
)

// MFAType is the discriminator of bind-mfa and mfa bodies. A WebAuthn
// credential may say "WebAuthn" (Logto's front end) or "public-key" (a
// browser's toJSON()).
type MFAType struct {
	Type string `json:"type" validate:"required,oneof=WebAuthn public-key Totp BackupCode"`
}

// TOTPCodeInput is {type: "Totp", code}.
type TOTPCodeInput struct {
	Type string `json:"type"`
	Code string `json:"code" validate:"required,len=6,numeric"`
}

// BackupCodeInput is {type: "BackupCode", code}.
type BackupCodeInput struct {
	Type string `json:"type"`
	Code string `json:"code" validate:"required,max=32"`
}

// AttestationInput is a registration response (RegistrationResponseJSON),
// in the one shape every enrollment surface accepts.
type AttestationInput = enroll.RegistrationResponse

// AssertionInput is an authentication response (AuthenticationResponseJSON,
// §5.1.8).
type AssertionInput struct {
	enroll.CredentialHeader
	Response struct {
		ClientDataJSON    string `json:"clientDataJSON" validate:"required,max=8192"`
		AuthenticatorData string `json:"authenticatorData" validate:"required,max=8192"`
		Signature         string `json:"signature" validate:"required,max=2048"`
		UserHandle        string `json:"userHandle" validate:"max=128"`
	} `json:"response"`
	ClientExtensionResults struct {
		AppID bool `json:"appid"`
	} `json:"clientExtensionResults"`
}

// RegistrationInput is the optional body of POST
// /verification/webauthn-registration: mediation "conditional" begins a
// registration for a browser's conditional create.
type RegistrationInput struct {
	Mediation string `json:"mediation" validate:"omitempty,oneof=conditional"`
}

func (h *Handler) webauthnRegistration(c *fiber.Ctx) error {
	var in RegistrationInput
	if len(httpx.Body(c)) > 0 {
		var err error
		if in, err = httpx.Bind[RegistrationInput](c, h.Binder); err != nil {
			return err
		}
	}
	opts, err := h.Service.BeginRegistration(c.UserContext(), request(c), cookieID(c), in.Mediation == "conditional")
	if err != nil {
		return err
	}
	return sendJSON(c, opts)
}

func (h *Handler) webauthnAuthentication(c *fiber.Ctx) error {
	opts, err := h.Service.BeginAuthentication(c.UserContext(), request(c), cookieID(c))
	if err != nil {
		return err
	}
	return sendJSON(c, opts)
}

// sendJSON answers pre-encoded JSON.
func sendJSON(c *fiber.Ctx, body []byte) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// The bodies of bind-mfa and mfa are told apart by their type: it is read
// first (Peek ignores the other members), then the body is bound in full,
// strictly, to the shape that type names.

func (h *Handler) bindMFA(c *fiber.Ctx) error {
	typ, err := httpx.Peek[MFAType](c, h.Binder)
	if err != nil {
		return err
	}
	if err := h.bind(c, typ.Type); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// bind binds a new factor of the given type.
func (h *Handler) bind(c *fiber.Ctx, typ string) error {
	ctx, r, id := c.UserContext(), request(c), cookieID(c)
	switch typ {
	case "Totp":
		in, err := httpx.Bind[TOTPCodeInput](c, h.Binder)
		if err != nil {
			return err
		}
		return h.Service.BindTOTP(ctx, r, id, in.Code)
	case "BackupCode":
		if _, err := httpx.Bind[MFAType](c, h.Binder); err != nil {
			return err
		}
		return h.Service.BindBackupCodes(ctx, r, id)
	}
	if _, err := httpx.Bind[AttestationInput](c, h.Binder); err != nil {
		return err
	}
	return h.Service.BindWebAuthn(ctx, r, id, httpx.Body(c))
}

func (h *Handler) verifyMFA(c *fiber.Ctx) error {
	typ, err := httpx.Peek[MFAType](c, h.Binder)
	if err != nil {
		return err
	}
	ctx, r, id := c.UserContext(), request(c), cookieID(c)
	switch typ.Type {
	case "Totp":
		in, err := httpx.Bind[TOTPCodeInput](c, h.Binder)
		if err != nil {
			return err
		}
		if err := h.Service.VerifyTOTP(ctx, r, id, in.Code); err != nil {
			return err
		}
	case "BackupCode":
		in, err := httpx.Bind[BackupCodeInput](c, h.Binder)
		if err != nil {
			return err
		}
		res, err := h.Service.VerifyBackupCode(ctx, r, id, in.Code)
		if err != nil {
			return err
		}
		return c.JSON(res)
	default:
		if _, err := httpx.Bind[AssertionInput](c, h.Binder); err != nil {
			return err
		}
		if err := h.Service.VerifyWebAuthn(ctx, r, id, httpx.Body(c)); err != nil {
			return err
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) sendCode(c *fiber.Ctx) error {
	in, err := httpx.Bind[SendCodeInput](c, h.Binder)
	if err != nil {
		return err
	}
	if err := h.Service.SendCode(c.UserContext(), request(c), cookieID(c), in); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) totpSecret(c *fiber.Ctx) error {
	out, err := h.Service.NewTOTPSecret(c.UserContext(), request(c), cookieID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) backupCodes(c *fiber.Ctx) error {
	out, err := h.Service.NewBackupCodes(c.UserContext(), request(c), cookieID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) skipMFA(c *fiber.Ctx) error {
	if err := h.Service.SkipMFA(c.UserContext(), request(c), cookieID(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
