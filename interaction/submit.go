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

// Submit finishes the interaction: it decides what is still missing
// (requirements), and when nothing is, takes the interaction (deletes it at
// the version the decision was made on, so that a parallel submit or a late
// change finds it gone), creates the user (Register) or resets the password
// (ForgotPassword), and signs the user in under a new session id. If that
// fails, the interaction is put back. loginID is the login session the
// browser presented, which a new sign-in ends.
func (s *Service) Submit(ctx context.Context, r Request, id, loginID string) (SubmitResult, error) {
	t := r.Tenant
	for {
		ix, doc, err := s.load(ctx, t, id)
		if err != nil {
			return SubmitResult{}, err
		}
		u, err := s.ready(ctx, t, ix)
		if err != nil {
			return SubmitResult{}, err
		}
		if u != nil && u.Suspended {
			return SubmitResult{}, s.failed(ctx, r, ix.Event, firstMethod(ix), u.ID, ErrSuspended)
		}
		err = s.Store.Take(ctx, s.Kind, doc)
		if errors.Is(err, session.ErrChanged) {
			continue // decide again on what another request just wrote
		}
		if err != nil {
			return SubmitResult{}, notFound(err)
		}
		res, u, err := s.finish(ctx, r, loginID, ix, u)
		if err == nil {
			s.recordSubmit(ctx, r, ix, u)
		} else {
			// Nothing was finished: the interaction is usable again (to
			// pick another username, say). A failure to put it back
			// loses it, as a crash would; the user starts again.
			_ = s.Store.Restore(context.WithoutCancel(ctx), s.Kind, doc)
		}
		return res, err
	}
}

// ready checks that ix has everything its event needs (requirements), and
// returns the identified user (nil for Register).
func (s *Service) ready(ctx context.Context, t *tenant.Tenant, ix *Interaction) (*account.User, error) {
	var u *account.User
	if ix.UserID != "" && ix.Event != Register {
		// The user as they are now: factors added or removed since the
		// identification count.
		var err error
		if u, err = s.Accounts.Get(ctx, t.ID, ix.UserID); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return nil, ErrIdentifierNotFound
			}
			return nil, err
		}
	}
	if need := requirements(t, ix, factorsOf(u)); len(need) > 0 {
		return nil, need[0].err
	}
	return u, nil
}

// finish carries out a claimed submit, and returns the user it signed in
// (or reset, or created).
func (s *Service) finish(ctx context.Context, r Request, loginID string, ix *Interaction, u *account.User) (SubmitResult, *account.User, error) {
	t := r.Tenant
	// The gate judges the factors the user had before this interaction
	// bound any: a factor bound here is checked by binding it.
	had := factorsOf(u)
	var err error
	switch ix.Event {
	case ForgotPassword:
		res, err := s.resetPassword(ctx, t, loginID, ix, u)
		return res, u, err
	case Register:
		if u, err = s.createUser(ctx, t, ix); err != nil {
			return SubmitResult{}, nil, s.failed(ctx, r, Register, firstMethod(ix), "", err)
		}
	default:
		if hasPendingFactors(ix) {
			if u, err = s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
				addPendingFactors(u, ix, s.Now())
				return nil
			}); err != nil {
				return SubmitResult{}, nil, accountErr(err)
			}
		}
	}
	res, err := s.signIn(ctx, t, loginID, ix, u, had)
	return res, u, err
}

// signIn is the only way an interaction ends signed in. It passes the MFA
// gate on the factors u had before this interaction bound any, read at
// submit (ARCHITECTURE §9: every path that
// ends signed in passes the same gate), ends the login session the browser
// presented (loginID, when it is this tenant's: signing in again replaces
// it), and starts a login session under a new id. The interaction is gone
// already (Submit took it).
func (s *Service) signIn(ctx context.Context, t *tenant.Tenant, loginID string, ix *Interaction, u *account.User, had []string) (SubmitResult, error) {
	if need, ok := mfaGate(t, ix, had); !ok {
		return SubmitResult{}, need.err
	}
	// Ended before the new one exists: if what follows fails, the browser
	// is signed out rather than holding two sessions.
	if err := s.Logins.End(ctx, t.ID, loginID); err != nil {
		return SubmitResult{}, err
	}
	sid, login, err := s.Logins.Create(ctx, session.Login{TenantID: t.ID, UserID: u.ID, Methods: methods(ix)})
	if err != nil {
		return SubmitResult{}, err
	}
	to, err := s.redirectAfterSignIn(ctx, t, ix, FinishedLogin{SessionID: sid, Login: login, User: u})
	if err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{RedirectTo: to, SessionID: sid}, nil
}

// resetPassword finishes ForgotPassword: the user proved an email or phone
// by a code sent for this purpose and set a new password in the profile.
// The password is replaced and every login session of the user ends.
//
// A reset proves an email or phone, never a second factor, so it signs the
// user in only when the tenant asks for it and the sign-in's MFA gate has
// nothing to ask. Otherwise the answer is 204 and the user signs in with the
// new password, where the gate asks for the factor. This keeps the reset a
// single step (the password is set exactly once, and no ForgotPassword
// interaction ever has to verify or bind factors) and leaves one place, the
// sign-in, where second factors are checked.
func (s *Service) resetPassword(ctx context.Context, t *tenant.Tenant, loginID string, ix *Interaction, u *account.User) (SubmitResult, error) {
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
		if _, ok := mfaGate(t, ix, u.Factors()); ok {
			return s.signIn(ctx, t, loginID, ix, u, u.Factors())
		}
	}
	return SubmitResult{}, nil
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

// requirement is one thing an interaction still needs before submit can
// finish it: its name in the public state's missing list, and the error
// submit answers for it.
type requirement struct {
	name string
	err  error
}

// requirements lists, in order, what ix still needs, for an identified user
// with the given factors. It is the one rule behind both submit (which
// answers the first one's error) and GET /api/interaction (which lists the
// names), so the state never says nothing is missing while submit refuses.
//
//   - SignIn: an identified user ("identifier"), then the MFA gate.
//   - Register: the profile fields the tenant's sign-up asks for
//     ("username", "email", "phone", "password"), then the MFA gate for the
//     user it will create.
//   - ForgotPassword: a user identified by a code sent for ForgotPassword
//     ("identifier"), then a new password ("password"). Its MFA gate is not
//     a requirement: a reset that the gate would stop signs nobody in
//     (resetPassword).
func requirements(t *tenant.Tenant, ix *Interaction, factors []string) []requirement {
	var need []requirement
	switch ix.Event {
	case SignIn:
		if ix.UserID == "" {
			err := ErrIdentifierNotFound
			if verifiedContact(ix) {
				err = ErrUserNotExist
			}
			return append(need, requirement{"identifier", err})
		}
	case Register:
		if missing := missingProfile(t, ix); len(missing) > 0 {
			err := ErrMissingProfile.WithDetails(MissingProfileDetails{MissingProfile: missing})
			for _, f := range missing {
				need = append(need, requirement{f, err})
			}
		}
	case ForgotPassword:
		if ix.UserID == "" || !verifiedContact(ix) {
			need = append(need, requirement{"identifier", ErrIdentifierNotFound})
		}
		if ix.Profile.PasswordHash == "" {
			need = append(need, requirement{"password", ErrNewPasswordRequired})
		}
		return need
	}
	if r, ok := mfaGate(t, ix, factors); !ok {
		need = append(need, r)
	}
	return need
}

// mfaGate is the MFA gate every path that ends signed in passes, with
// Logto's rules, for a user with the given factors (none for a user being
// registered). It answers what is missing and false, or true.
//
//   - A user with factors must have verified one in this interaction
//     ("mfa", 403 session.mfa.require_mfa_verification), whatever else was
//     bound.
//   - Binding a first factor also needs backup codes when the tenant offers
//     them ("backup-codes", 400 session.mfa.backup_code_required).
//   - Otherwise the "mandatory" policy demands a factor, and "prompt" asks
//     for one until the user skips ("mfa-binding", 422 user.missing_mfa).
func mfaGate(t *tenant.Tenant, ix *Interaction, factors []string) (requirement, bool) {
	if len(factors) > 0 && !ix.MFAVerified {
		return requirement{"mfa", ErrRequireMFA.WithDetails(MFADetails{AvailableFactors: factors})}, false
	}
	if hasPendingFactors(ix) {
		if len(factors) == 0 && t.Settings.MFA.BackupCodes && len(ix.PendingBackupCodes) == 0 {
			return requirement{"backup-codes", ErrBackupCodeRequired}, false
		}
		return requirement{}, true
	}
	if len(factors) > 0 || ix.MFAVerified {
		return requirement{}, true
	}
	switch policy := t.Settings.MFA.Policy; {
	case policy == "mandatory":
		return requirement{"mfa-binding", ErrMissingMFA.WithDetails(MFADetails{AvailableFactors: bindable})}, false
	case policy == "prompt" && !ix.MFASkipped:
		return requirement{"mfa-binding", ErrMissingMFA.WithDetails(MFADetails{AvailableFactors: bindable, Skippable: true})}, false
	}
	return requirement{}, true
}

// factorsOf is u's factors, or none without a user.
func factorsOf(u *account.User) []string {
	if u == nil {
		return nil
	}
	return u.Factors()
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
	for _, r := range requirements(t, ix, ix.UserFactors) {
		st.Missing = append(st.Missing, r.name)
	}
	return st
}
