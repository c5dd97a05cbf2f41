package interaction

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
)

// SubmitResult is what a finished interaction gives the client.
type SubmitResult struct {
	RedirectTo string `json:"redirectTo"`
	// SessionID is the new login session (set as a cookie, never sent in
	// the body); empty when nobody is signed in.
	SessionID string `json:"-"`
}

// Submit finishes the interaction: it decides what is still missing, and
// when nothing is, creates the user (Register), starts a login session under
// a new id, and deletes the interaction.
func (s *Service) Submit(ctx context.Context, r Request, id string) (res SubmitResult, err error) {
	t := r.Tenant
	ix, _, err := s.load(ctx, t, id)
	if err != nil {
		return SubmitResult{}, err
	}
	var u *account.User
	switch ix.Event {
	case SignIn, ForgotPassword:
		if ix.UserID == "" {
			if ix.Event == SignIn && verifiedContact(ix) {
				return SubmitResult{}, ErrUserNotExist
			}
			return SubmitResult{}, ErrIdentifierNotFound
		}
		if u, err = s.Accounts.Get(ctx, t.ID, ix.UserID); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return SubmitResult{}, ErrIdentifierNotFound
			}
			return SubmitResult{}, err
		}
		if u.Suspended {
			return SubmitResult{}, s.failed(ctx, r, ix.Event, firstMethod(ix), u.ID, ErrSuspended)
		}
	case Register:
		if missing := missingProfile(t, ix); len(missing) > 0 {
			return SubmitResult{}, ErrMissingProfile.WithDetails(MissingProfileDetails{MissingProfile: missing})
		}
	}
	defer func() {
		if err == nil {
			s.recordSubmit(ctx, r, ix, u)
		}
	}()
	if ix.Event == ForgotPassword {
		return s.resetPassword(ctx, t, id, ix, u)
	}
	if err := mfaCheck(t, ix, u); err != nil {
		return SubmitResult{}, err
	}
	if ix.Event == Register {
		if u, err = s.createUser(ctx, t, ix); err != nil {
			return SubmitResult{}, s.failed(ctx, r, Register, firstMethod(ix), "", err)
		}
	} else if hasPendingFactors(ix) {
		if u, err = s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
			addPendingFactors(u, ix, s.Now())
			return nil
		}); err != nil {
			return SubmitResult{}, accountErr(err)
		}
	}
	return s.signIn(ctx, t, id, ix, u)
}

// signIn starts a login session for u and deletes the interaction.
func (s *Service) signIn(ctx context.Context, t *tenant.Tenant, id string, ix *Interaction, u *account.User) (SubmitResult, error) {
	sid, _, err := s.Logins.Create(ctx, session.Login{TenantID: t.ID, UserID: u.ID, Methods: methods(ix)})
	if err != nil {
		return SubmitResult{}, err
	}
	if err := s.Store.Delete(ctx, s.Kind, id); err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{RedirectTo: t.Settings.SignInRedirectURI, SessionID: sid}, nil
}

// resetPassword finishes ForgotPassword: the user proved an email or phone
// by code and set a new password in the profile. Every login session of the
// user ends; nobody is signed in unless the tenant says so.
func (s *Service) resetPassword(ctx context.Context, t *tenant.Tenant, id string, ix *Interaction, u *account.User) (SubmitResult, error) {
	if ix.Profile.PasswordHash == "" {
		return SubmitResult{}, ErrNewPasswordRequired
	}
	if _, err := s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
		u.PasswordHash = ix.Profile.PasswordHash
		return nil
	}); err != nil {
		return SubmitResult{}, err
	}
	if err := s.Logins.EndAll(ctx, t.ID, u.ID); err != nil {
		return SubmitResult{}, err
	}
	if t.Settings.SignInAfterReset {
		return s.signIn(ctx, t, id, ix, u)
	}
	return SubmitResult{}, s.Store.Delete(ctx, s.Kind, id)
}

func verifiedContact(ix *Interaction) bool {
	for _, v := range ix.Verified {
		if v.Method == "emailCode" || v.Method == "phoneCode" {
			return true
		}
	}
	return false
}

func hasPendingFactors(ix *Interaction) bool {
	return len(ix.PendingCredentials) > 0 || ix.PendingTOTP != nil || len(ix.PendingBackupCodes) > 0
}

func addPendingFactors(u *account.User, ix *Interaction, now time.Time) {
	u.MFA.WebAuthn = append(u.MFA.WebAuthn, ix.PendingCredentials...)
	if ix.PendingTOTP != nil {
		u.MFA.TOTP = ix.PendingTOTP
	}
	if len(ix.PendingBackupCodes) > 0 {
		u.MFA.BackupCodes = u.MFA.BackupCodes[:0]
		for _, h := range ix.PendingBackupCodes {
			u.MFA.BackupCodes = append(u.MFA.BackupCodes, account.BackupCode{Hash: h})
		}
	}
}

func (s *Service) createUser(ctx context.Context, t *tenant.Tenant, ix *Interaction) (*account.User, error) {
	u := &account.User{
		Username: ix.Profile.Username, PrimaryEmail: ix.Profile.Email, PrimaryPhone: ix.Profile.Phone,
		PasswordHash: ix.Profile.PasswordHash,
	}
	addPendingFactors(u, ix, s.Now())
	if ix.Subject != nil {
		u.WebAuthnHandle = ix.Subject.Handle
	}
	if err := s.Accounts.Create(ctx, t.ID, u); err != nil {
		return nil, accountErr(err)
	}
	return u, nil
}

func accountErr(err error) error {
	var taken *account.TakenError
	if errors.As(err, &taken) {
		return takenErr(taken.Kind)
	}
	return err
}

// missingProfile lists, in Logto's names, the profile fields the tenant's
// sign-up settings require and the interaction lacks.
func missingProfile(t *tenant.Tenant, ix *Interaction) []string {
	var missing []string
	p := ix.Profile
	for _, f := range t.Settings.SignUp.Identifiers {
		if (f == "username" && p.Username == "") || (f == "email" && p.Email == "") || (f == "phone" && p.Phone == "") {
			missing = append(missing, f)
		}
	}
	passkeyOnly := t.Settings.Passkey.Passwordless && len(ix.PendingCredentials) > 0
	if t.Settings.SignUp.Password && p.PasswordHash == "" && !passkeyOnly {
		missing = append(missing, "password")
	}
	return missing
}

// mfaCheck applies the tenant's MFA policy at submit (Logto's rules): a
// user with factors must verify one; "mandatory" demands a factor the user
// lacks; "prompt" asks for one until the user skips. Binding the first
// factor also asks for backup codes when the tenant offers them.
func mfaCheck(t *tenant.Tenant, ix *Interaction, u *account.User) error {
	policy := t.Settings.MFA.Policy
	var factors []string
	if u != nil {
		factors = u.Factors()
	}
	if hasPendingFactors(ix) {
		first := len(factors) == 0
		if first && t.Settings.MFA.BackupCodes && len(ix.PendingBackupCodes) == 0 {
			return ErrBackupCodeRequired
		}
		return nil
	}
	if ix.MFAVerified {
		return nil
	}
	if len(factors) > 0 {
		return ErrRequireMFA.WithDetails(MFADetails{AvailableFactors: factors})
	}
	switch {
	case policy == "mandatory":
		return ErrMissingMFA.WithDetails(MFADetails{AvailableFactors: bindable})
	case policy == "prompt" && !ix.MFASkipped:
		return ErrMissingMFA.WithDetails(MFADetails{AvailableFactors: bindable, Skippable: true})
	}
	return nil
}

// bindable are the factors a user can bind as a first factor.
var bindable = []string{"Totp", "WebAuthn"}

// methods names what was proven, for the login session.
func methods(ix *Interaction) []string {
	var out []string
	for _, v := range ix.Verified {
		if !slices.Contains(out, v.Method) {
			out = append(out, v.Method)
		}
	}
	if ix.Event == Register && ix.Profile.PasswordHash != "" && !slices.Contains(out, "password") {
		out = append(out, "password")
	}
	return out
}

// state is the public view of ix: what is proven and what submit still needs.
func (s *Service) state(t *tenant.Tenant, ix *Interaction) State {
	st := State{
		Event: ix.Event, Identified: ix.UserID != "",
		VerifiedIdentifiers: []StateIdentifier{},
		Profile: StateProfile{Username: ix.Profile.Username, Email: ix.Profile.Email, Phone: ix.Profile.Phone,
			PasswordSet: ix.Profile.PasswordHash != ""},
		Missing: []string{},
	}
	for _, v := range ix.Verified {
		if v.Kind != "" {
			st.VerifiedIdentifiers = append(st.VerifiedIdentifiers, StateIdentifier{Type: v.Kind, Value: v.Value})
		}
	}
	switch ix.Event {
	case SignIn, ForgotPassword:
		if ix.UserID == "" {
			st.Missing = append(st.Missing, "identifier")
		}
	case Register:
		st.Missing = append(st.Missing, missingProfile(t, ix)...)
	}
	return st
}
