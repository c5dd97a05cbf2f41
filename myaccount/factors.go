package myaccount

import (
	"context"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// Factor types of the account API.
const (
	factorWebAuthn    = "webauthn"
	factorTOTP        = "totp"
	factorBackupCodes = "backup_codes"
)

// Profile is GET /v1/users/me.
type Profile struct {
	ID           string    `json:"id"`
	Username     string    `json:"username,omitempty"`
	PrimaryEmail string    `json:"primaryEmail,omitempty"`
	PrimaryPhone string    `json:"primaryPhone,omitempty"`
	HasPassword  bool      `json:"hasPassword"`
	Factors      []string  `json:"factors"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// Factor is one second factor of the account.
type Factor struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Name       string     `json:"name"`
	CreatedAt  *time.Time `json:"createdAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	// WebAuthn only.
	Transports     []string `json:"transports,omitempty"`
	Attachment     string   `json:"attachment,omitempty"`
	BackupEligible *bool    `json:"backupEligible,omitempty"`
	BackupState    *bool    `json:"backupState,omitempty"`
	Discoverable   *bool    `json:"discoverable,omitempty"`
	// Backup codes only: how many are unused.
	Remaining *int `json:"remaining,omitempty"`
}

// FactorList is GET /v1/users/me/mfa.
type FactorList struct {
	Factors []Factor `json:"factors"`
}

func (h *Handler) profile(c *fiber.Ctx) error {
	cl := callerOf(c)
	if err := h.Service.authorize(c.UserContext(), tenant.From(c), cl, policy.ActionViewAccount, policy.Context{}); err != nil {
		return err
	}
	u := cl.User
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(Profile{ID: u.ID, Username: u.Username, PrimaryEmail: u.PrimaryEmail, PrimaryPhone: u.PrimaryPhone,
		HasPassword: u.PasswordHash != "", Factors: orEmpty(u.Factors()), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt})
}

func (h *Handler) factors(c *fiber.Ctx) error {
	cl := callerOf(c)
	if err := h.Service.authorize(c.UserContext(), tenant.From(c), cl, policy.ActionViewAccount, policy.Context{}); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(FactorList{Factors: factorsOf(cl.User)})
}

func factorsOf(u *account.User) []Factor {
	out := []Factor{}
	for i := range u.MFA.WebAuthn {
		out = append(out, webAuthnFactor(&u.MFA.WebAuthn[i]))
	}
	if t := u.MFA.TOTP; t != nil {
		f := Factor{ID: factorTOTP, Type: factorTOTP, Name: "Authenticator app", CreatedAt: timePtr(t.CreatedAt)}
		if t.LastStep > 0 {
			f.LastUsedAt = timePtr(time.Unix(t.LastStep*30, 0).UTC())
		}
		out = append(out, f)
	}
	if len(u.MFA.BackupCodes) > 0 {
		n := u.RemainingBackupCodes()
		f := Factor{ID: factorBackupCodes, Type: factorBackupCodes, Name: "Backup codes", Remaining: &n}
		for _, c := range u.MFA.BackupCodes {
			if c.UsedAt != nil && (f.LastUsedAt == nil || c.UsedAt.After(*f.LastUsedAt)) {
				f.LastUsedAt = timePtr(*c.UsedAt)
			}
		}
		out = append(out, f)
	}
	return out
}

func webAuthnFactor(c *account.Credential) Factor {
	be, bs, disc := c.BackupEligible, c.BackupState, c.Discoverable
	return Factor{ID: c.PublicID(), Type: factorWebAuthn, Name: c.Name, CreatedAt: timePtr(c.CreatedAt),
		LastUsedAt: timePtr(c.LastUsedAt), Transports: orEmpty(c.Transports), Attachment: c.Attachment,
		BackupEligible: &be, BackupState: &bs, Discoverable: &disc}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *Handler) removeTOTP(c *fiber.Ctx) error {
	if err := h.Service.RemoveFactor(c.UserContext(), tenant.From(c), callerOf(c), factorTOTP, factorTOTP); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// RemoveFactor removes a WebAuthn credential (by id) or the TOTP app: a
// recent sign-in is needed, and the policies are asked. Backup codes that
// no longer back any factor are removed with the last one.
func (s *Service) RemoveFactor(ctx context.Context, t *tenant.Tenant, cl *Caller, typ, id string) error {
	if err := s.recent(t, cl); err != nil {
		return err
	}
	if !hasFactor(cl.User, typ, id) {
		return ErrNotFound
	}
	if err := s.authorize(ctx, t, cl, policy.ActionRemoveFactor, policy.Context{FactorType: typ}); err != nil {
		return err
	}
	_, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		if !removeFactor(u, typ, id) {
			return ErrNotFound
		}
		if !signInLeft(u) {
			return ErrLastCredential
		}
		return nil
	})
	return err
}

func hasFactor(u *account.User, typ, id string) bool {
	switch typ {
	case factorTOTP:
		return u.MFA.TOTP != nil
	case factorWebAuthn:
		return slices.ContainsFunc(u.MFA.WebAuthn, func(c account.Credential) bool { return c.PublicID() == id })
	}
	return false
}

// removeFactor removes a factor from u, and the backup codes with the last
// second factor (they back up factors; alone they would be a factor of
// their own, which Foyer does not allow).
func removeFactor(u *account.User, typ, id string) bool {
	switch typ {
	case factorTOTP:
		if u.MFA.TOTP == nil {
			return false
		}
		u.MFA.TOTP = nil
	case factorWebAuthn:
		n := len(u.MFA.WebAuthn)
		u.MFA.WebAuthn = slices.DeleteFunc(u.MFA.WebAuthn, func(c account.Credential) bool { return c.PublicID() == id })
		if len(u.MFA.WebAuthn) == n {
			return false
		}
	default:
		return false
	}
	if u.SecondFactors() == 0 {
		u.MFA.BackupCodes = nil
	}
	return true
}

// ErrLastCredential: the account would be left with no way to sign in.
var ErrLastCredential = httpx.New(fiber.StatusUnprocessableEntity, "user.last_credential", "This is the only way to sign in to this account; add another before removing it.")

// signInLeft reports whether u can still sign in: a password, a passkey,
// or an email or phone that one-time codes reach.
func signInLeft(u *account.User) bool {
	return u.PasswordHash != "" || len(u.MFA.WebAuthn) > 0 || u.PrimaryEmail != "" || u.PrimaryPhone != ""
}
