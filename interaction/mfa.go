package interaction

import (
	"context"
	"errors"
	"strings"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

// TOTP and backup-code errors, in Logto's codes.
var (
	ErrInvalidTOTP          = httpx.New(fiber.StatusBadRequest, "session.mfa.invalid_totp_code", "Invalid TOTP code.")
	ErrInvalidBackupCode    = httpx.New(fiber.StatusBadRequest, "session.mfa.invalid_backup_code", "Invalid backup code.")
	ErrTOTPInUse            = httpx.New(fiber.StatusUnprocessableEntity, "user.totp_already_in_use", "TOTP is already in use.")
	ErrBackupCodeAlone      = httpx.New(fiber.StatusBadRequest, "session.mfa.backup_code_can_not_be_alone", "Backup code can not be the only MFA.")
	ErrBackupCodeRequired   = httpx.New(fiber.StatusBadRequest, "session.mfa.backup_code_required", "Backup code is required.")
	ErrPolicyNotUserControl = httpx.New(fiber.StatusUnprocessableEntity, "session.mfa.mfa_policy_not_user_controlled", "MFA policy is not user controlled.")
)

// TOTPSecretOutput is the answer of POST /verification/totp.
type TOTPSecretOutput struct {
	Secret       string `json:"secret"`
	SecretQRCode string `json:"secretQrCode"`
}

// BackupCodesOutput is the answer of POST /verification/backup-codes.
type BackupCodesOutput struct {
	Codes []string `json:"codes"`
}

// BackupCodeResult is the answer of PUT /mfa with a backup code.
type BackupCodeResult struct {
	Remaining int `json:"remaining"`
}

// MFAInput is the body of bind-mfa and mfa for Totp and BackupCode.
type MFAInput struct {
	Type string `json:"type" validate:"required,oneof=Totp BackupCode WebAuthn"`
	Code string `json:"code" validate:"max=32"`
}

// owner binds a sealed TOTP secret to the user it belongs to (the WebAuthn
// handle exists before the user does, for Register).
func owner(tid string, sub *Subject) string { return tid + "/" + b64(sub.Handle) }

// mfaSubject loads the interaction and checks MFA binding may happen: a
// subject exists, and a signing-in user with factors has verified one.
func (s *Service) mfaSubject(ctx context.Context, r Request, id string) (*Interaction, session.Doc, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return nil, doc, err
	}
	switch {
	case ix.Event == ForgotPassword:
		return nil, doc, ErrNotForForgot
	case ix.Subject == nil || (ix.Event == SignIn && ix.UserID == ""):
		return nil, doc, ErrNoSubject
	case ix.Event == SignIn && !ix.MFAVerified:
		u, err := s.Accounts.Get(ctx, r.Tenant.ID, ix.UserID)
		if err != nil {
			return nil, doc, err
		}
		if f := u.Factors(); len(f) > 0 {
			return nil, doc, ErrRequireMFA.WithDetails(MFADetails{AvailableFactors: f})
		}
	}
	return ix, doc, nil
}

// NewTOTPSecret makes a TOTP secret for the subject, kept sealed in the
// interaction until bind-mfa proves the app holds it.
func (s *Service) NewTOTPSecret(ctx context.Context, r Request, id string) (TOTPSecretOutput, error) {
	ix, doc, err := s.mfaSubject(ctx, r, id)
	if err != nil {
		return TOTPSecretOutput{}, err
	}
	if ix.UserID != "" {
		u, err := s.Accounts.Get(ctx, r.Tenant.ID, ix.UserID)
		if err != nil {
			return TOTPSecretOutput{}, err
		}
		if u.MFA.TOTP != nil {
			return TOTPSecretOutput{}, ErrTOTPInUse
		}
	}
	// The otpauth URI separates issuer and account with ":".
	noColon := strings.NewReplacer(":", " ")
	enr, err := s.TOTP.NewSecret(noColon.Replace(r.Tenant.Name()), noColon.Replace(webauthnUser(ix).Name))
	if err != nil {
		return TOTPSecretOutput{}, err
	}
	sealed := s.TOTP.Seal(enr.Secret, owner(r.Tenant.ID, ix.Subject))
	if err := s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		cur.TOTPSecret = sealed
		return nil
	}); err != nil {
		return TOTPSecretOutput{}, err
	}
	return TOTPSecretOutput{Secret: enr.Secret, SecretQRCode: enr.QRCode}, nil
}

// BindTOTP checks the first code from the app and binds the secret.
func (s *Service) BindTOTP(ctx context.Context, r Request, id, code string) error {
	ix, doc, err := s.mfaSubject(ctx, r, id)
	if err != nil {
		return err
	}
	if ix.TOTPSecret == "" {
		return ErrPendingNotFound
	}
	secret, err := s.TOTP.Open(ix.TOTPSecret, owner(r.Tenant.ID, ix.Subject))
	if err != nil {
		return err
	}
	step, err := s.TOTP.Verify(secret, code, 0)
	if err != nil {
		return ErrInvalidTOTP
	}
	sealed := ix.TOTPSecret
	return s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		if cur.TOTPSecret != sealed {
			return ErrPendingNotFound
		}
		cur.TOTPSecret = ""
		cur.PendingTOTP = &account.TOTP{Sealed: sealed, LastStep: step, CreatedAt: s.Now().UTC()}
		cur.MFAVerified = true
		cur.Verified = append(cur.Verified, Verified{Method: "totp"})
		return nil
	})
}

// NewBackupCodes offers 10 backup codes; only their hashes are kept.
func (s *Service) NewBackupCodes(ctx context.Context, r Request, id string) (BackupCodesOutput, error) {
	ix, doc, err := s.mfaSubject(ctx, r, id)
	if err != nil {
		return BackupCodesOutput{}, err
	}
	hasOther := len(ix.PendingCredentials) > 0 || ix.PendingTOTP != nil
	if !hasOther && ix.UserID != "" {
		u, err := s.Accounts.Get(ctx, r.Tenant.ID, ix.UserID)
		if err != nil {
			return BackupCodesOutput{}, err
		}
		hasOther = u.MFA.TOTP != nil || len(u.MFA.WebAuthn) > 0
	}
	if !hasOther {
		return BackupCodesOutput{}, ErrBackupCodeAlone
	}
	codes := verification.NewBackupCodes()
	hashes, err := s.Hasher.HashBackupCodes(ctx, codes)
	if err != nil {
		return BackupCodesOutput{}, busy(err)
	}
	if err := s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		cur.BackupHashes = hashes
		return nil
	}); err != nil {
		return BackupCodesOutput{}, err
	}
	return BackupCodesOutput{Codes: codes}, nil
}

// BindBackupCodes binds the offered backup codes.
func (s *Service) BindBackupCodes(ctx context.Context, r Request, id string) error {
	ix, doc, err := s.mfaSubject(ctx, r, id)
	if err != nil {
		return err
	}
	return s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		if len(cur.BackupHashes) == 0 {
			return ErrPendingNotFound
		}
		cur.PendingBackupCodes, cur.BackupHashes = cur.BackupHashes, nil
		return nil
	})
}

// mfaAttempt is a second-factor check under way: the sign-in's
// interaction as loaded, its user, and the attempt counted against the
// user's MFA limit.
type mfaAttempt struct {
	ix  *Interaction
	doc session.Doc
	u   *account.User
	res verification.Reservation
}

// mfaUser loads the identified user of a sign-in for MFA verification, and
// counts the attempt against the user's MFA limit.
func (s *Service) mfaUser(ctx context.Context, r Request, id string) (mfaAttempt, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return mfaAttempt{}, err
	}
	if ix.Event != SignIn {
		return mfaAttempt{}, ErrMFASignInOnly
	}
	if ix.UserID == "" {
		return mfaAttempt{}, ErrIdentifierNotFound
	}
	res, err := s.Limiter.Hit(ctx, r.Tenant.ID,
		verification.Bucket{Scope: "mfa", Value: ix.UserID, Limit: s.Limits.PerIdentifier})
	if err != nil {
		return mfaAttempt{}, limitErr(err, ErrTooManyAttempts)
	}
	u, err := s.Accounts.Get(ctx, r.Tenant.ID, ix.UserID)
	return mfaAttempt{ix: ix, doc: doc, u: u, res: res}, err
}

// passed releases the counted attempt and records the verified second
// factor in the interaction, if it still identifies the user the factor
// belongs to.
func (s *Service) passed(ctx context.Context, r Request, a mfaAttempt, method string) error {
	s.Limiter.Release(ctx, a.res)
	return s.save(ctx, r.Tenant, a.ix, a.doc, func(cur *Interaction) error {
		if cur.UserID != a.u.ID {
			return ErrIdentifierNotFound // another user was identified meanwhile
		}
		cur.MFAVerified = true
		cur.Verified = append(cur.Verified, Verified{Method: method})
		return nil
	})
}

// VerifyTOTP verifies a TOTP code as the second factor. The accepted time
// step is stored with compare-and-swap on the user, so a code is accepted
// once only, even by concurrent requests.
func (s *Service) VerifyTOTP(ctx context.Context, r Request, id, code string) error {
	a, err := s.mfaUser(ctx, r, id)
	if err != nil {
		return err
	}
	u := a.u
	if u.MFA.TOTP == nil {
		return ErrPendingNotFound
	}
	secret, err := s.TOTP.Open(u.MFA.TOTP.Sealed, owner(r.Tenant.ID, &Subject{Handle: u.WebAuthnHandle}))
	if err != nil {
		return err
	}
	step, err := s.TOTP.Verify(secret, code, u.MFA.TOTP.LastStep)
	if err != nil {
		return s.failed(ctx, r, SignIn, MethodTOTP, u.ID, ErrInvalidTOTP)
	}
	if _, err := s.Accounts.Update(ctx, r.Tenant.ID, u.ID, func(cur *account.User) error {
		if cur.MFA.TOTP == nil || cur.MFA.TOTP.LastStep >= step {
			return ErrInvalidTOTP
		}
		cur.MFA.TOTP.LastStep = step
		return nil
	}); err != nil {
		return err
	}
	return s.passed(ctx, r, a, "totp")
}

// VerifyBackupCode consumes one backup code as the second factor; two
// concurrent uses of one code succeed once (compare-and-swap on the user).
func (s *Service) VerifyBackupCode(ctx context.Context, r Request, id, code string) (BackupCodeResult, error) {
	a, err := s.mfaUser(ctx, r, id)
	if err != nil {
		return BackupCodeResult{}, err
	}
	var hashes []string
	var index []int
	for i, c := range a.u.MFA.BackupCodes {
		if c.UsedAt == nil {
			hashes, index = append(hashes, c.Hash), append(index, i)
		}
	}
	i, err := s.Hasher.MatchBackupCode(ctx, hashes, code)
	if err != nil {
		if errors.Is(err, verification.ErrBackupCodeInvalid) {
			return BackupCodeResult{}, s.failed(ctx, r, SignIn, MethodBackupCode, a.u.ID, ErrInvalidBackupCode)
		}
		return BackupCodeResult{}, busy(err)
	}
	at := s.Now().UTC()
	u, err := s.Accounts.Update(ctx, r.Tenant.ID, a.u.ID, func(cur *account.User) error {
		k := index[i]
		if k >= len(cur.MFA.BackupCodes) || cur.MFA.BackupCodes[k].UsedAt != nil || cur.MFA.BackupCodes[k].Hash != hashes[i] {
			return ErrInvalidBackupCode
		}
		cur.MFA.BackupCodes[k].UsedAt = &at
		return nil
	})
	if err != nil {
		return BackupCodeResult{}, err
	}
	if err := s.passed(ctx, r, a, "backupCode"); err != nil {
		return BackupCodeResult{}, err
	}
	return BackupCodeResult{Remaining: u.RemainingBackupCodes()}, nil
}

// SkipMFA skips optional MFA binding (policy "prompt").
func (s *Service) SkipMFA(ctx context.Context, r Request, id string) error {
	if r.Tenant.Settings.MFA.Policy == "mandatory" {
		return ErrPolicyNotUserControl
	}
	err := s.update(ctx, r.Tenant, id, func(cur *Interaction) error {
		cur.MFASkipped = true
		return nil
	})
	return err
}

func busy(err error) error {
	if errors.Is(err, verification.ErrBusy) {
		return ErrBusy.WithCause(err)
	}
	return err
}
