package interaction

import (
	"context"
	"errors"
	"regexp"

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

// usernameRE is Logto's username rule: a letter or underscore, then word
// characters.
var usernameRE = regexp.MustCompile(`^[A-Za-z_]\w*$`)

// SetProfile applies a profile change: replace for PUT, merge for PATCH.
// A new password is checked against the tenant's policy and hashed here,
// before it is stored: the interaction never holds it in clear.
func (s *Service) SetProfile(ctx context.Context, t *tenant.Tenant, id string, in ProfileInput, replace bool) error {
	ix, doc, err := s.load(ctx, t, id)
	if err != nil {
		return err
	}
	if err := s.setProfile(ctx, t, ix, in, replace); err != nil {
		return err
	}
	p := ix.Profile
	return s.save(ctx, t, ix, doc, func(cur *Interaction) error {
		cur.Profile = p
		return nil
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

func (s *Service) setProfile(ctx context.Context, t *tenant.Tenant, ix *Interaction, in ProfileInput, replace bool) error {
	p := ix.Profile
	if replace {
		p = Profile{}
	}
	if in.Username != "" {
		if !usernameRE.MatchString(in.Username) {
			return httpx.InvalidField("username", "username", `^[A-Za-z_]\w*$`)
		}
		if err := s.checkFree(ctx, t.ID, account.KindUsername, account.NormalizeUsername(in.Username)); err != nil {
			return err
		}
		p.Username = in.Username
	}
	if in.Email != "" {
		e, err := normalizeEmail(in.Email)
		if err != nil {
			return err
		}
		if err := needsProof(t, ix, account.KindEmail, e); err != nil {
			return err
		}
		if err := s.checkFree(ctx, t.ID, account.KindEmail, e); err != nil {
			return err
		}
		p.Email = e
	}
	if in.Phone != "" {
		ph := account.NormalizePhone(in.Phone)
		if ph == "" {
			return httpx.InvalidField("phone", "e164", "")
		}
		if err := needsProof(t, ix, account.KindPhone, ph); err != nil {
			return err
		}
		if err := s.checkFree(ctx, t.ID, account.KindPhone, ph); err != nil {
			return err
		}
		p.Phone = ph
	}
	if in.Password != "" {
		if issues := verification.CheckPassword(in.Password, t.Settings.Password.MinScore, p.Username, p.Email, p.Phone); issues != nil {
			return ErrPasswordRejected.WithDetails(PasswordDetails{Issues: issues})
		}
		hash, err := s.Hasher.Hash(ctx, in.Password)
		if err != nil {
			if errors.Is(err, verification.ErrBusy) {
				return ErrBusy.WithCause(err)
			}
			return err
		}
		p.PasswordHash = hash
	}
	ix.Profile = p
	return nil
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
