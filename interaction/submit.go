package interaction

import (
	"context"
	"errors"
	"slices"

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
func (s *Service) Submit(ctx context.Context, t *tenant.Tenant, id string) (SubmitResult, error) {
	ix, _, err := s.load(ctx, t, id)
	if err != nil {
		return SubmitResult{}, err
	}
	var u *account.User
	switch ix.Event {
	case SignIn:
		if ix.UserID == "" {
			return SubmitResult{}, ErrIdentifierNotFound
		}
		if u, err = s.Accounts.Get(ctx, t.ID, ix.UserID); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return SubmitResult{}, ErrIdentifierNotFound
			}
			return SubmitResult{}, err
		}
	case Register:
		if missing := missingProfile(t, ix); len(missing) > 0 {
			return SubmitResult{}, ErrMissingProfile.WithDetails(MissingProfileDetails{MissingProfile: missing})
		}
	default:
		return SubmitResult{}, ErrNotForForgot
	}
	if err := mfaCheck(t, ix, u); err != nil {
		return SubmitResult{}, err
	}
	if ix.Event == Register {
		if u, err = s.createUser(ctx, t, ix); err != nil {
			return SubmitResult{}, err
		}
	} else if len(ix.PendingCredentials) > 0 {
		if u, err = s.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
			u.MFA.WebAuthn = append(u.MFA.WebAuthn, ix.PendingCredentials...)
			return nil
		}); err != nil {
			return SubmitResult{}, accountErr(err)
		}
	}
	sid, _, err := s.Logins.Create(ctx, session.Login{TenantID: t.ID, UserID: u.ID, Methods: methods(ix)})
	if err != nil {
		return SubmitResult{}, err
	}
	if err := s.Store.Delete(ctx, s.Kind, id); err != nil {
		return SubmitResult{}, err
	}
	return SubmitResult{RedirectTo: t.Settings.SignInRedirectURI, SessionID: sid}, nil
}

func (s *Service) createUser(ctx context.Context, t *tenant.Tenant, ix *Interaction) (*account.User, error) {
	u := &account.User{
		Username: ix.Profile.Username, PrimaryEmail: ix.Profile.Email, PrimaryPhone: ix.Profile.Phone,
		PasswordHash: ix.Profile.PasswordHash, MFA: account.MFAFactors{WebAuthn: ix.PendingCredentials},
	}
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

// mfaCheck applies the tenant's MFA policy at submit: a user with factors
// must have verified one; "mandatory" demands a factor the user lacks.
func mfaCheck(t *tenant.Tenant, ix *Interaction, u *account.User) error {
	if t.Settings.MFA.Policy == "off" || ix.MFAVerified {
		return nil
	}
	var factors []string
	if u != nil {
		factors = u.Factors()
	}
	if len(ix.PendingCredentials) > 0 {
		return nil // bound in this interaction: verified by the binding
	}
	if len(factors) > 0 {
		return ErrRequireMFA.WithDetails(MFADetails{AvailableFactors: factors})
	}
	if t.Settings.MFA.Policy == "mandatory" {
		return ErrMissingMFA.WithDetails(MFADetails{AvailableFactors: []string{"WebAuthn"}})
	}
	return nil
}

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
