package myaccount

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// Password errors, in the interaction's codes where it has one.
var (
	ErrCurrentPassword  = httpx.New(fiber.StatusUnprocessableEntity, "password.current_mismatch", "The current password is not correct.")
	ErrPasswordRejected = httpx.New(fiber.StatusUnprocessableEntity, "password.rejected", "The new password does not meet the password policy.")
)

// PasswordInput is the body of PUT /v1/users/me/password. The current
// password is required whenever the account has one.
type PasswordInput struct {
	CurrentPassword string `json:"currentPassword" validate:"max=256"`
	NewPassword     string `json:"newPassword" validate:"required,max=1024"`
}

// PasswordDetails are the details of password.rejected.
type PasswordDetails struct {
	Issues []verification.PasswordIssue `json:"issues"`
}

func (h *Handler) changePassword(c *fiber.Ctx) error {
	in, err := httpx.Bind[PasswordInput](c, h.Binder)
	if err != nil {
		var apiErr *httpx.Error
		if errors.As(err, &apiErr) {
			if d, ok := apiErr.Details.(httpx.FieldDetails); ok && len(d.Fields) == 1 && d.Fields[0].Rule == httpx.RuleUTF8 {
				return ErrPasswordRejected.WithDetails(PasswordDetails{Issues: []verification.PasswordIssue{{Code: verification.IssueInvalidEncoding}}})
			}
		}
		return err
	}
	if err := h.Service.ChangePassword(c.UserContext(), tenant.From(c), callerOf(c), in); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// ChangePassword sets a new password after checking the current one
// (verification.Hasher, attempts limited per user) and the tenant's
// password policy (verification.CheckPassword).
func (s *Service) ChangePassword(ctx context.Context, t *tenant.Tenant, cl *Caller, in PasswordInput) error {
	if err := s.recent(t, cl); err != nil {
		return err
	}
	if err := s.authorize(ctx, t, cl, policy.ActionChangePassword, policy.Context{}); err != nil {
		return err
	}
	u := cl.User
	if issues := verification.CheckPassword(in.NewPassword, t.Settings.Password.MinScore, u.Username, u.PrimaryEmail); len(issues) > 0 {
		return ErrPasswordRejected.WithDetails(PasswordDetails{Issues: issues})
	}
	if u.PasswordHash != "" {
		res, err := s.Limiter.Hit(ctx, t.ID, verification.Bucket{Scope: "acct-pw", Value: u.ID, Limit: passwordLimit})
		if err != nil {
			return limited(err)
		}
		if err := s.Hasher.Verify(ctx, u.PasswordHash, in.CurrentPassword); err != nil {
			if errors.Is(err, verification.ErrPasswordMismatch) {
				return ErrCurrentPassword
			}
			return busy(err)
		}
		s.Limiter.Release(ctx, res)
	}
	hash, err := s.Hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return busy(err)
	}
	old := u.PasswordHash
	_, err = s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
		if u.PasswordHash != old {
			return ErrCurrentPassword // changed meanwhile: the check was against another password
		}
		u.PasswordHash = hash
		return nil
	})
	return err
}
