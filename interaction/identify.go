package interaction

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/verification"
)

// IdentifierInput is an identifier with its proof, in Logto's shapes:
// {username, password}, {email, password} or {phone, password}; or
// {passkey: <assertion JSON>} for a discoverable WebAuthn credential.
type IdentifierInput struct {
	Passkey  json.RawMessage `json:"passkey"`
	Username string          `json:"username" validate:"omitempty,max=128"`
	Email    string          `json:"email" validate:"omitempty,max=254"` // checked by normalizeEmail
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
		e, err := normalizeEmail(in.Email)
		if err != nil {
			return "", "", err
		}
		kind, value, n = account.KindEmail, e, n+1
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

// normalizeEmail is account.NormalizeEmail with its refusal as a
// guard.invalid_input naming the field and the reason (details.fields:
// {field: email, rule: email, param: <reason>}).
func normalizeEmail(s string) (string, error) {
	e, err := account.NormalizeEmail(s)
	var ee *account.EmailError
	if errors.As(err, &ee) {
		return "", httpx.InvalidField("email", "email", ee.Reason)
	}
	return e, err
}

// Identify verifies an identifier and records the user it proves. A
// success moves the interaction to a new id, which it returns for the
// cookie (session fixation: an id planted in a victim's browser must not
// be the one that the victim's sign-in finishes).
func (s *Service) Identify(ctx context.Context, r Request, id string, in IdentifierInput) (string, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return "", err
	}
	return s.identifyLoaded(ctx, r, ix, doc, in)
}

// identifyLoaded is Identify on the interaction the caller has just read.
func (s *Service) identifyLoaded(ctx context.Context, r Request, ix *Interaction, doc session.Doc, in IdentifierInput) (string, error) {
	if len(in.Passkey) > 0 {
		if _, _, err := in.kind(); err != nil {
			return "", err
		}
		if ix.Event != SignIn {
			return "", ErrMFASignInOnly
		}
		return s.identifyPasskey(ctx, r, ix, doc, in.Passkey)
	}
	if in.VerificationCode != "" {
		kind, value, err := in.kind()
		if err != nil {
			return "", err
		}
		return s.identifyByCode(ctx, r, ix, doc, in, kind, value)
	}
	event := ix.Event
	u, v, err := s.identify(ctx, r, event, in)
	if err != nil {
		return "", err
	}
	return s.saveMove(ctx, r.Tenant, ix, doc, func(cur *Interaction) (bool, error) {
		if cur.Event != event {
			// The event changed while the password was checked: the
			// proof was for the other event (switchEvent).
			return false, session.ErrConflict
		}
		identified(cur, u, v)
		return true, nil
	})
}

// identify checks the password of the identified user and returns who it
// proved (for identified to record). Unknown identifiers and wrong passwords give the same
// answer, after the same argon2id work (a dummy hash for unknown users).
// Attempts are counted before the check, so concurrent guesses are bounded
// too (see passwordBuckets), and a success is taken back.
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
	if event == Register {
		// Register creates a user; it proves email and phone by codes but
		// identifies nobody (ARCHITECTURE §9).
		return nil, Verified{}, ErrNotForRegister
	}
	u, err := s.Accounts.Find(ctx, r.Tenant.ID, kind, value)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return nil, Verified{}, err
	}
	res, err := s.Limiter.Hit(ctx, r.Tenant.ID, s.passwordBuckets(r, kind, value, u)...)
	quiet := errors.Is(err, verification.ErrQuietLimit)
	if err != nil && !quiet {
		return nil, Verified{}, s.failed(ctx, r, event, MethodPassword, "", limitErr(err, ErrTooManyAttempts))
	}
	hash := ""
	if u != nil && !quiet {
		hash = u.PasswordHash // else the dummy hash: the same work, and a mismatch
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
// than the one already identified starts the proofs over. The user's
// factors are noted for the public state, which must not read the user;
// submit reads them afresh.
func identified(cur *Interaction, u *account.User, v Verified) {
	if cur.UserID != "" && cur.UserID != u.ID {
		cur.Verified, cur.MFAVerified = nil, false
		cur.PendingCredentials, cur.PendingTOTP, cur.PendingBackupCodes = nil, nil, nil
		cur.TOTPSecret, cur.BackupHashes = "", nil
	}
	cur.UserID, cur.Subject, cur.UserFactors = u.ID, subjectOf(u), u.Factors()
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
