package myaccount

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// Service holds the account API's rules; it never sees HTTP.
type Service struct {
	Accounts *account.Store
	Enroll   *enroll.Core
	Policies *policy.Store
	Hasher   *verification.Hasher
	TOTP     *verification.TOTP
	Logins   *session.Logins
	Limiter  *verification.Limiter
	// Ephemeral keeps pending TOTP enrolments.
	Ephemeral redis.UniversalClient
	Now       func() time.Time
}

// Attempt limits of the account API, per user.
var (
	totpLimit     = verification.Limit{N: 5, Window: 15 * time.Minute}
	passwordLimit = verification.Limit{N: 5, Window: 15 * time.Minute}
)

// authorize asks the tenant's policies.
func (s *Service) authorize(ctx context.Context, t *tenant.Tenant, cl *Caller, action string, pc policy.Context) error {
	return s.Policies.Authorize(ctx, t.ID, policy.Request{Principal: cl.Principal, Action: action, User: cl.User, Context: pc})
}

// recent checks the caller signed in within the tenant's reauthMaxAge.
func (s *Service) recent(t *tenant.Tenant, cl *Caller) error {
	maxAge := t.Settings.ReauthMaxAge
	if cl.Principal.AuthTime.IsZero() || s.Now().Sub(cl.Principal.AuthTime) > time.Duration(maxAge)*time.Second {
		return ErrReauth.WithDetails(ReauthDetails{MaxAge: maxAge})
	}
	return nil
}

// CodesOutput is the answer of a completed enrolment and of new backup
// codes: the codes shown once (none when the account had a second factor
// already), and how many unused ones the account holds.
type CodesOutput struct {
	Codes     []string `json:"codes"`
	Remaining int      `json:"remaining"`
}

// firstFactorCodes prepares backup codes for an enrolment that may be the
// account's first second factor: made and hashed before the write (hashing
// is slow), applied by withCodes only if the account still has no second
// factor when written.
type firstFactorCodes struct {
	codes   []string
	hashes  []string
	applied bool
}

func (s *Service) prepareCodes(ctx context.Context, u *account.User) (*firstFactorCodes, error) {
	f := &firstFactorCodes{}
	if u.SecondFactors() > 0 {
		return f, nil
	}
	f.codes = verification.NewBackupCodes()
	hashes, err := s.Hasher.HashBackupCodes(ctx, f.codes)
	if err != nil {
		return nil, busy(err)
	}
	f.hashes = hashes
	return f, nil
}

// apply runs inside the account write, with the new factor not yet added
// (before says how many second factors the account had).
func (f *firstFactorCodes) apply(u *account.User, before int) {
	f.applied = false
	if before > 0 || len(f.hashes) == 0 {
		return
	}
	u.MFA.BackupCodes = u.MFA.BackupCodes[:0]
	for _, h := range f.hashes {
		u.MFA.BackupCodes = append(u.MFA.BackupCodes, account.BackupCode{Hash: h})
	}
	f.applied = true
}

func (f *firstFactorCodes) output(u *account.User) CodesOutput {
	if f.applied {
		return CodesOutput{Codes: f.codes, Remaining: u.RemainingBackupCodes()}
	}
	return CodesOutput{Codes: []string{}, Remaining: u.RemainingBackupCodes()}
}

func busy(err error) error {
	if errors.Is(err, verification.ErrBusy) {
		return ErrBusy.WithCause(err)
	}
	return err
}

func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}
