package interaction

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/verification"
)

// IdentifierInput is an identifier with its proof, in Logto's shapes:
// {username, password}, {email, password} or {phone, password}; or
// {passkey: <assertion JSON>} for a discoverable WebAuthn credential.
type IdentifierInput struct {
	Passkey  json.RawMessage `json:"passkey"`
	Username string          `json:"username" validate:"omitempty,max=128"`
	Email    string          `json:"email" validate:"omitempty,max=254,email"`
	Phone    string          `json:"phone" validate:"omitempty,max=32"`
	Password string          `json:"password" validate:"omitempty,max=256"`
	// VerificationCode proves an email or phone (sent by
	// POST /verification/verification-code).
	VerificationCode string `json:"verificationCode" validate:"omitempty,max=16"`
}

// kind returns the identifier's kind and normalised value, or a
// guard.invalid_input naming what is wrong with the shape.
func (in IdentifierInput) kind() (string, string, error) {
	var kind, value string
	n := 0
	if len(in.Passkey) > 0 {
		if in.Username != "" || in.Email != "" || in.Phone != "" || in.Password != "" {
			return "", "", httpx.InvalidField("passkey", "excluded_with", "username email phone password")
		}
		return "passkey", "", nil
	}
	if in.Username != "" {
		kind, value, n = account.KindUsername, account.NormalizeUsername(in.Username), n+1
	}
	if in.Email != "" {
		kind, value, n = account.KindEmail, account.NormalizeEmail(in.Email), n+1
	}
	if in.Phone != "" {
		kind, value, n = account.KindPhone, account.NormalizePhone(in.Phone), n+1
		if value == "" {
			return "", "", httpx.InvalidField("phone", "e164", "")
		}
	}
	switch {
	case n == 0:
		return "", "", httpx.InvalidField("username", "required_without_all", "email phone")
	case n > 1:
		return "", "", httpx.InvalidField(kind, "excluded_with", "username email phone")
	case in.Password != "" && in.VerificationCode != "":
		return "", "", httpx.InvalidField("verificationCode", "excluded_with", "password")
	case in.VerificationCode != "" && kind == account.KindUsername:
		return "", "", httpx.InvalidField("verificationCode", "excluded_with", "username")
	case in.Password == "" && in.VerificationCode == "":
		return "", "", httpx.InvalidField("password", "required_without", "verificationCode")
	}
	return kind, value, nil
}

// Identify verifies an identifier and records the user it proves.
func (s *Service) Identify(ctx context.Context, r Request, id string, in IdentifierInput) error {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return err
	}
	if len(in.Passkey) > 0 {
		if _, _, err := in.kind(); err != nil {
			return err
		}
		if ix.Event != SignIn {
			return ErrMFASignInOnly
		}
		return s.identifyPasskey(ctx, r, ix, doc, in.Passkey)
	}
	if in.VerificationCode != "" {
		kind, value, err := in.kind()
		if err != nil {
			return err
		}
		return s.identifyByCode(ctx, r, ix, doc, in, kind, value)
	}
	u, v, err := s.identify(ctx, r, ix.Event, in)
	if err != nil {
		return err
	}
	return s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		identified(cur, u, v)
		return nil
	})
}

// identify checks the password of the identified user and returns who it
// proved (for identified to record). Unknown identifiers and wrong passwords give the same
// answer, after the same argon2id work (a dummy hash for unknown users).
// Failed attempts are counted per identifier and per IP before the check, so
// concurrent guesses are bounded too.
func (s *Service) identify(ctx context.Context, r Request, event Event, in IdentifierInput) (*account.User, Verified, error) {
	if event == ForgotPassword {
		return nil, Verified{}, ErrNotForForgot
	}
	kind, value, err := in.kind()
	if err != nil {
		return nil, Verified{}, err
	}
	// These answer a challenge kept in an existing interaction.
	if in.VerificationCode != "" {
		return nil, Verified{}, ErrCodeNotFound
	}
	if kind == "passkey" {
		return nil, Verified{}, ErrPendingNotFound
	}
	res, err := s.Limiter.Hit(ctx, r.Tenant.ID,
		verification.Bucket{Scope: "pw-id", Value: kind + ":" + value, Limit: s.Limits.PerIdentifier},
		verification.Bucket{Scope: "pw-ip", Value: r.IP, Limit: s.Limits.PerIP})
	if err != nil {
		return nil, Verified{}, s.failed(ctx, r, event, MethodPassword, "", limitErr(err, ErrTooManyAttempts))
	}
	u, err := s.Accounts.Find(ctx, r.Tenant.ID, kind, value)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return nil, Verified{}, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if err := s.Hasher.Verify(ctx, hash, in.Password); err != nil {
		if errors.Is(err, verification.ErrPasswordMismatch) {
			return nil, Verified{}, s.failed(ctx, r, event, MethodPassword, uidOf(u), ErrInvalidCredentials)
		}
		if errors.Is(err, verification.ErrBusy) {
			s.Limiter.Release(ctx, res)
			return nil, Verified{}, ErrBusy.WithCause(err)
		}
		return nil, Verified{}, err
	}
	s.Limiter.Release(ctx, res)
	return u, Verified{Method: "password", Kind: kind, Value: value}, nil
}

// identified records that u was proven by v. Proving a different person
// than the one already identified starts the proofs over.
func identified(cur *Interaction, u *account.User, v Verified) {
	if cur.UserID != "" && cur.UserID != u.ID {
		cur.Verified, cur.MFAVerified = nil, false
		cur.PendingCredentials, cur.PendingTOTP, cur.PendingBackupCodes = nil, nil, nil
		cur.TOTPSecret, cur.BackupHashes = "", nil
	}
	cur.UserID, cur.Subject = u.ID, subjectOf(u)
	cur.Verified = append(cur.Verified, v)
}

// limitErr turns a reached limit into the API error template, with
// Retry-After.
func limitErr(err error, template *httpx.Error) error {
	var le *verification.LimitError
	if errors.As(err, &le) {
		return template.WithRetryAfter(le.RetryAfter)
	}
	return err
}
