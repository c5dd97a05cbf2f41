package interaction

import (
	"context"
	"errors"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/gofiber/fiber/v2"
)

// PasskeySignals is the body of GET /api/session/passkeys: what a page
// passes to the browser's Signal API after a sign-in (W3C WebAuthn L3
// §5.1.10), so that authenticators drop credentials the server no longer
// accepts and show the user's current name:
// signalAllAcceptedCredentials({rpId, userId, allAcceptedCredentialIds}) and
// signalCurrentUserDetails({rpId, userId, name, displayName}).
type PasskeySignals struct {
	RPID string `json:"rpId"`
	// UserID is the user's WebAuthn user handle, base64url.
	UserID                   string   `json:"userId"`
	Name                     string   `json:"name"`
	DisplayName              string   `json:"displayName"`
	AllAcceptedCredentialIDs []string `json:"allAcceptedCredentialIds"`
}

// PasskeySignals returns the signals for the user of login session id.
func (s *Service) PasskeySignals(ctx context.Context, t *tenant.Tenant, id string) (PasskeySignals, error) {
	login, err := s.Logins.Get(ctx, t.ID, id)
	if err != nil {
		if errors.Is(err, session.ErrNotFound) {
			return PasskeySignals{}, ErrUnauthorized
		}
		return PasskeySignals{}, err
	}
	u, err := s.Accounts.Get(ctx, t.ID, login.UserID)
	if err != nil {
		if errors.Is(err, account.ErrNotFound) {
			return PasskeySignals{}, ErrUnauthorized
		}
		return PasskeySignals{}, err
	}
	return passkeySignals(t, u), nil
}

func passkeySignals(t *tenant.Tenant, u *account.User) PasskeySignals {
	name := u.Username
	if name == "" {
		name = u.PrimaryEmail
	}
	if name == "" {
		name = u.PrimaryPhone
	}
	out := PasskeySignals{RPID: t.RPID(), UserID: b64(u.WebAuthnHandle), Name: name, DisplayName: name,
		AllAcceptedCredentialIDs: []string{}}
	for _, c := range u.MFA.WebAuthn {
		// A credential made for another RP ID (the tenant's RP ID changed
		// since) is no credential of this one.
		if c.RPID == "" || c.RPID == out.RPID {
			out.AllAcceptedCredentialIDs = append(out.AllAcceptedCredentialIDs, b64(c.ID))
		}
	}
	return out
}

func (h *Handler) sessionPasskeys(c *fiber.Ctx) error {
	out, err := h.Service.PasskeySignals(c.UserContext(), tenant.From(c), loginID(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}
