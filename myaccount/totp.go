package myaccount

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// TOTP and backup-code errors.
var (
	ErrTOTPInUse       = httpx.New(fiber.StatusUnprocessableEntity, "user.totp_already_in_use", "An authenticator app is already set up; remove it first.")
	ErrInvalidTOTP     = httpx.New(fiber.StatusBadRequest, "mfa.invalid_totp_code", "Invalid TOTP code.")
	ErrBackupCodeAlone = httpx.New(fiber.StatusBadRequest, "mfa.backup_code_can_not_be_alone", "Backup codes back up another factor: set up a passkey or an authenticator app first.")
	ErrTooMany         = httpx.New(fiber.StatusTooManyRequests, "guard.too_many_requests", "Too many failed attempts; please wait before trying again.")
)

// totpPendingTTL is how long a new TOTP secret waits for its first code.
const totpPendingTTL = 10 * time.Minute

// TOTPSecret is the answer of POST /mfa/totp.
type TOTPSecret struct {
	Secret       string `json:"secret"`
	SecretQRCode string `json:"secretQrCode"`
	URI          string `json:"uri"`
}

// TOTPCodeInput is the body of POST /mfa/totp/complete.
type TOTPCodeInput struct {
	Code string `json:"code" validate:"required,len=6,numeric"`
}

func totpKey(tid, uid string) string { return "foyer:t:{" + tid + "}:enroll:totp:" + uid }

func (h *Handler) startTOTP(c *fiber.Ctx) error {
	out, err := h.Service.StartTOTP(c.UserContext(), tenant.From(c), callerOf(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) completeTOTP(c *fiber.Ctx) error {
	in, err := httpx.Bind[TOTPCodeInput](c, h.Binder)
	if err != nil {
		return err
	}
	out, err := h.Service.CompleteTOTP(c.UserContext(), tenant.From(c), callerOf(c), in.Code)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// owner binds a sealed TOTP secret to its user, as the interaction does.
func owner(tid string, u *account.User) string { return tid + "/" + b64(u.WebAuthnHandle) }

// StartTOTP draws a TOTP secret (verification.TOTP), kept sealed for ten
// minutes until the first code proves the app holds it.
func (s *Service) StartTOTP(ctx context.Context, t *tenant.Tenant, cl *Caller) (TOTPSecret, error) {
	if cl.User.MFA.TOTP != nil {
		return TOTPSecret{}, ErrTOTPInUse
	}
	if err := s.authorize(ctx, t, cl, policy.ActionRegisterTOTP, policy.Context{FactorType: factorTOTP}); err != nil {
		return TOTPSecret{}, err
	}
	noColon := strings.NewReplacer(":", " ")
	enr, err := s.TOTP.NewSecret(noColon.Replace(t.Name()), noColon.Replace(displayName(cl.User)))
	if err != nil {
		return TOTPSecret{}, err
	}
	sealed := s.TOTP.Seal(enr.Secret, owner(t.ID, cl.User))
	if err := s.Ephemeral.Set(ctx, totpKey(t.ID, cl.User.ID), sealed, totpPendingTTL).Err(); err != nil {
		return TOTPSecret{}, unavailable(err)
	}
	return TOTPSecret{Secret: enr.Secret, SecretQRCode: enr.QRCode, URI: enr.URI}, nil
}

// CompleteTOTP checks the first code and binds the app; the first second
// factor of an account comes with ten backup codes.
func (s *Service) CompleteTOTP(ctx context.Context, t *tenant.Tenant, cl *Caller, code string) (CodesOutput, error) {
	res, err := s.Limiter.Hit(ctx, t.ID, verification.Bucket{Scope: "acct-totp", Value: cl.User.ID, Limit: totpLimit})
	if err != nil {
		return CodesOutput{}, limited(err)
	}
	sealed, err := s.Ephemeral.Get(ctx, totpKey(t.ID, cl.User.ID)).Result()
	if errors.Is(err, redis.Nil) {
		return CodesOutput{}, ErrNoPending
	}
	if err != nil {
		return CodesOutput{}, unavailable(err)
	}
	secret, err := s.TOTP.Open(sealed, owner(t.ID, cl.User))
	if err != nil {
		return CodesOutput{}, ErrNoPending.WithCause(err)
	}
	step, err := s.TOTP.Verify(secret, code, 0)
	if err != nil {
		return CodesOutput{}, ErrInvalidTOTP
	}
	// The secret is taken only by the write that binds it: a concurrent
	// completion finds it gone.
	n, err := s.Ephemeral.Del(ctx, totpKey(t.ID, cl.User.ID)).Result()
	if err != nil {
		return CodesOutput{}, unavailable(err)
	}
	if n == 0 {
		return CodesOutput{}, ErrNoPending
	}
	s.Limiter.Release(ctx, res)
	codes, err := s.prepareCodes(ctx, cl.User)
	if err != nil {
		return CodesOutput{}, err
	}
	u, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		if u.MFA.TOTP != nil {
			return ErrTOTPInUse
		}
		codes.apply(u, u.SecondFactors())
		u.MFA.TOTP = &account.TOTP{Sealed: sealed, LastStep: step, CreatedAt: s.Now().UTC()}
		return nil
	})
	if err != nil {
		return CodesOutput{}, err
	}
	return codes.output(u), nil
}

// BackupCodesState is GET /mfa/backup-codes.
type BackupCodesState struct {
	Remaining int `json:"remaining"`
}

func (h *Handler) backupCodes(c *fiber.Ctx) error {
	cl := callerOf(c)
	if err := h.Service.authorize(c.UserContext(), tenant.From(c), cl, policy.ActionViewAccount, policy.Context{}); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(BackupCodesState{Remaining: cl.User.RemainingBackupCodes()})
}

func (h *Handler) regenerateBackupCodes(c *fiber.Ctx) error {
	out, err := h.Service.RegenerateBackupCodes(c.UserContext(), tenant.From(c), callerOf(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// RegenerateBackupCodes replaces the account's backup codes with ten new
// ones (verification's codes and hashes), shown once.
func (s *Service) RegenerateBackupCodes(ctx context.Context, t *tenant.Tenant, cl *Caller) (CodesOutput, error) {
	if err := s.recent(t, cl); err != nil {
		return CodesOutput{}, err
	}
	if cl.User.SecondFactors() == 0 {
		return CodesOutput{}, ErrBackupCodeAlone
	}
	if err := s.authorize(ctx, t, cl, policy.ActionRegenerateBackupCodes, policy.Context{FactorType: factorBackupCodes}); err != nil {
		return CodesOutput{}, err
	}
	codes := verification.NewBackupCodes()
	hashes, err := s.Hasher.HashBackupCodes(ctx, codes)
	if err != nil {
		return CodesOutput{}, busy(err)
	}
	u, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		if u.SecondFactors() == 0 {
			return ErrBackupCodeAlone
		}
		u.MFA.BackupCodes = u.MFA.BackupCodes[:0]
		for _, h := range hashes {
			u.MFA.BackupCodes = append(u.MFA.BackupCodes, account.BackupCode{Hash: h})
		}
		return nil
	})
	if err != nil {
		return CodesOutput{}, err
	}
	return CodesOutput{Codes: codes, Remaining: u.RemainingBackupCodes()}, nil
}

func displayName(u *account.User) string {
	for _, n := range []string{u.Username, u.PrimaryEmail, u.PrimaryPhone} {
		if n != "" {
			return n
		}
	}
	return "user"
}

func limited(err error) error {
	var le *verification.LimitError
	if errors.As(err, &le) {
		return ErrTooMany.WithRetryAfter(le.RetryAfter)
	}
	return err
}

func unavailable(err error) error { return errors.Join(verification.ErrStorage, err) }
