package policy

import (
	"context"
	"time"

	cedar "github.com/cedar-policy/cedar-go"

	"github.com/foyer-auth/foyer/account"
)

// How a caller authenticated (context.via).
const (
	ViaBearer     = "bearer"     // an access token of the user (account API)
	ViaToken      = "token"      // a personal access token (Basic)
	ViaCode       = "code"       // a one-time registration code
	ViaManagement = "management" // an m2m management token
)

// Principal is who acts: the user on its own account, or (Admin) an
// application holding a management token.
type Principal struct {
	// Admin is the client id of a management token; "" for the user.
	Admin string
	// AAL is 0 when not signed in, 1 after one factor, 2 after several.
	AAL int
	// AuthTime is when the user signed in (zero: not signed in).
	AuthTime time.Time
	Via      string
}

// Context is what else the policies may look at; "" where it does not apply.
type Context struct {
	MethodType string
	// Attachment is the authenticator attachment asked for, or at
	// completion the one the authenticator reported.
	Attachment string
	Domain     string
	// FactorType is the factor acted upon: "webauthn", "totp", "backup_codes".
	FactorType string
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	Action    string
	// User is the account acted upon.
	User    *account.User
	Context Context
}

// Authorize answers nil when the tenant's policies allow r, else ErrDenied
// with the determining policies' notices.
func (s *Store) Authorize(ctx context.Context, tid string, r Request) error {
	ps, err := s.set(ctx, tid)
	if err != nil {
		return err
	}
	user := cedar.NewEntityUID("User", cedar.String(r.User.ID))
	attrs := userAttrs(r.User)
	principal := user
	entities := cedar.EntityMap{}
	if r.Principal.Admin != "" {
		principal = cedar.NewEntityUID("Admin", cedar.String(r.Principal.Admin))
		entities[principal] = cedar.Entity{UID: principal, Attributes: cedar.NewRecord(cedar.RecordMap{
			"via": cedar.String(r.Principal.Via),
		})}
	} else {
		attrs["aal"] = cedar.Long(r.Principal.AAL)
		if !r.Principal.AuthTime.IsZero() {
			attrs["authAgeSeconds"] = cedar.Long(int64(s.now().Sub(r.Principal.AuthTime) / time.Second))
		}
	}
	entities[user] = cedar.Entity{UID: user, Attributes: cedar.NewRecord(attrs)}
	req := cedar.Request{
		Principal: principal,
		Action:    cedar.NewEntityUID("Action", cedar.String(r.Action)),
		Resource:  user,
		Context: cedar.NewRecord(cedar.RecordMap{
			"method_type":             cedar.String(r.Context.MethodType),
			"authenticatorAttachment": cedar.String(r.Context.Attachment),
			"domain":                  cedar.String(r.Context.Domain),
			"factorType":              cedar.String(r.Context.FactorType),
			"via":                     cedar.String(r.Principal.Via),
		}),
	}
	decision, diag := cedar.Authorize(ps, entities, req)
	if decision == cedar.Allow {
		return nil
	}
	notices := []string{}
	for _, reason := range diag.Reasons {
		if p := ps.Get(reason.PolicyID); p != nil {
			if n, ok := p.Annotations()["notice"]; ok && n != "" {
				notices = append(notices, string(n))
			}
		}
	}
	denied := *ErrDenied
	denied.Notices = notices
	return &denied
}

// userAttrs are a User entity's attributes.
func userAttrs(u *account.User) cedar.RecordMap {
	factors := []cedar.Value{}
	for _, f := range u.Factors() {
		factors = append(factors, cedar.String(f))
	}
	return cedar.RecordMap{
		"factors":              cedar.NewSet(factors...),
		"factorCount":          cedar.Long(u.SecondFactors()),
		"passkeyCount":         cedar.Long(len(u.MFA.WebAuthn)),
		"backupCodesRemaining": cedar.Long(u.RemainingBackupCodes()),
		"hasPassword":          cedar.Boolean(u.PasswordHash != ""),
	}
}
