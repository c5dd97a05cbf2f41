package interaction

import (
	"context"
	"errors"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// ProfileInput sets profile fields (PUT replaces the profile, PATCH merges).
type ProfileInput struct {
	Username string `json:"username" validate:"omitempty,max=128"`
	Email    string `json:"email" validate:"omitempty,max=254"` // checked by normalizeEmail
	Phone    string `json:"phone" validate:"omitempty,max=32"`
	Password string `json:"password" validate:"omitempty,max=256"`
}

// SetProfile applies a profile change: replace for PUT, merge for PATCH.
// A new password is checked against the tenant's policy and hashed here,
// before it is stored: the interaction never holds it in clear.
//
// The checks run against the interaction as loaded, but only the fields
// this request sets are written, inside the compare-and-swap: two PATCHes
// of different fields that race both land (a write of the whole loaded
// profile would silently undo the other one).
func (s *Service) SetProfile(ctx context.Context, t *tenant.Tenant, id string, in ProfileInput, replace bool) error {
	ix, doc, err := s.load(ctx, t, id)
	if err != nil {
		return err
	}
	change, err := s.profileChange(ctx, t, ix, in, replace)
	if err != nil {
		return err
	}
	return s.save(ctx, t, ix, doc, func(cur *Interaction) error {
		return change.apply(t, cur, replace)
	})
}

// ClearProfile empties the profile (DELETE /api/interaction/profile).
func (s *Service) ClearProfile(ctx context.Context, t *tenant.Tenant, id string) error {
	err := s.update(ctx, t, id, func(ix *Interaction) error {
		ix.Profile = Profile{}
		return nil
	})
	return err
}

// apply writes the fields that p sets into cur's profile (all of them,
// clearing the rest, when replace). Proof of an email or phone is checked
// again on cur: the interaction may have changed since the checks ran.
func (p Profile) apply(t *tenant.Tenant, cur *Interaction, replace bool) error {
	if p.Email != "" {
		if err := needsProof(t, cur, account.KindEmail, p.Email); err != nil {
			return err
		}
	}
	if p.Phone != "" {
		if err := needsProof(t, cur, account.KindPhone, p.Phone); err != nil {
			return err
		}
	}
	if replace {
		cur.Profile = p
		return nil
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&cur.Profile.Username, p.Username)
	set(&cur.Profile.Email, p.Email)
	set(&cur.Profile.Phone, p.Phone)
	set(&cur.Profile.PasswordHash, p.PasswordHash)
	return nil
}

// profileChange checks in against the tenant's rules and ix, and returns
// the profile fields it sets (normalised, the password hashed).
func (s *Service) profileChange(ctx context.Context, t *tenant.Tenant, ix *Interaction, in ProfileInput, replace bool) (Profile, error) {
	var p Profile
	// The password is checked against the profile it will stand in.
	merged := ix.Profile
	if replace {
		merged = Profile{}
	}
	if in.Username != "" {
		if !account.ValidUsername(in.Username) {
			return p, httpx.InvalidField("username", "username", account.UsernamePattern)
		}
		if err := s.checkFree(ctx, t.ID, account.KindUsername, account.NormalizeUsername(in.Username)); err != nil {
			return p, err
		}
		p.Username, merged.Username = in.Username, in.Username
	}
	if in.Email != "" {
		e, err := normalizeEmail(in.Email)
		if err != nil {
			return p, err
		}
		if err := needsProof(t, ix, account.KindEmail, e); err != nil {
			return p, err
		}
		if err := s.checkFree(ctx, t.ID, account.KindEmail, e); err != nil {
			return p, err
		}
		p.Email, merged.Email = e, e
	}
	if in.Phone != "" {
		ph := account.NormalizePhone(in.Phone)
		if ph == "" {
			return p, httpx.InvalidField("phone", "e164", "")
		}
		if err := needsProof(t, ix, account.KindPhone, ph); err != nil {
			return p, err
		}
		if err := s.checkFree(ctx, t.ID, account.KindPhone, ph); err != nil {
			return p, err
		}
		p.Phone, merged.Phone = ph, ph
	}
	if in.Password != "" {
		if issues := verification.CheckPassword(in.Password, t.Settings.Password.MinScore, merged.Username, merged.Email, merged.Phone); issues != nil {
			return p, ErrPasswordRejected.WithDetails(PasswordDetails{Issues: issues})
		}
		hash, err := s.Hasher.Hash(ctx, in.Password)
		if err != nil {
			if errors.Is(err, verification.ErrBusy) {
				return p, ErrBusy.WithCause(err)
			}
			return p, err
		}
		p.PasswordHash = hash
	}
	return p, nil
}

// checkFree answers early that an identifier is taken, as Logto does; the
// atomic claim at submit is what actually guarantees uniqueness.
func (s *Service) checkFree(ctx context.Context, tid, kind, value string) error {
	taken, err := s.Accounts.Taken(ctx, tid, kind, value)
	if err != nil {
		return err
	}
	if taken {
		return takenErr(kind)
	}
	return nil
}

func takenErr(kind string) error {
	switch kind {
	case account.KindCredID:
		return ErrCredentialInUse
	case account.KindEmail:
		return ErrEmailInUse
	case account.KindPhone:
		return ErrPhoneInUse
	default:
		return ErrUsernameInUse
	}
}

// needsProof refuses an email or phone the tenant wants proven by code and
// this interaction has not proven.
func needsProof(t *tenant.Tenant, ix *Interaction, kind, value string) error {
	if !t.Settings.SignUp.Verify {
		return nil
	}
	for _, v := range ix.Verified {
		if v.Kind == kind && v.Value == value && v.Method == kind+"Code" {
			return nil
		}
	}
	return ErrNotVerified
}
