package enroll

import (
	"context"
	"errors"
	"time"

	json "github.com/goccy/go-json"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
)

// Pending is a begun ceremony kept in Redis until it is answered or its
// timeout passes.
type Pending struct {
	// ID names the enrollment (ZITADEL's webAuthNId) and becomes the new
	// credential's FactorID.
	ID     string `json:"id"`
	UserID string `json:"userId"`
	Choice Choice `json:"choice"`
	// Origin is the browser origin the options were built for ("" for any
	// of the tenant's).
	Origin string `json:"origin,omitempty"`
	// Via says how the start was authorised (the surface's own word, such
	// as "code"), for the surface to check at completion.
	Via       string          `json:"via,omitempty"`
	Session   json.RawMessage `json:"session"`
	CreatedAt time.Time       `json:"createdAt"`
}

// pendingKey is where a pending ceremony lives: in the tenant's slot, under
// the caller's key (per user, or per enrollment id).
func pendingKey(tid, key string) string { return "foyer:t:{" + tid + "}:enroll:" + key }

// StartInput is one Start.
type StartInput struct {
	// Key names the ceremony among the tenant's: one per user ("me:<uid>")
	// replaces the previous one, one per enrollment id lets several run.
	Key    string
	User   *account.User
	Choice Choice
	Origin string
	Via    string
	// ID is the enrollment id; "" draws a new one.
	ID string
}

// Start builds options for in.User and keeps the ceremony under in.Key for
// the ceremony's timeout, replacing any ceremony under that key. It
// returns the pending enrollment and the options.
func (core *Core) Start(ctx context.Context, t *tenant.Tenant, in StartInput) (Pending, json.RawMessage, error) {
	c, err := core.Options(t, in.Origin, UserOf(in.User), in.Choice)
	if err != nil {
		return Pending{}, nil, err
	}
	p := Pending{ID: in.ID, UserID: in.User.ID, Choice: in.Choice, Origin: in.Origin, Via: in.Via,
		Session: c.Session, CreatedAt: core.Now().UTC()}
	if p.ID == "" {
		p.ID = NewID()
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return Pending{}, nil, err
	}
	ttl := time.Duration(t.Settings.Passkey.Timeout) * time.Millisecond
	if err := core.Redis.Set(ctx, pendingKey(t.ID, in.Key), doc, ttl).Err(); err != nil {
		return Pending{}, nil, wrap("keep enrollment", err)
	}
	return p, c.Options, nil
}

// Completion is one Complete.
type Completion struct {
	Key      string
	Response []byte
	// Name is the new credential's name.
	Name string
	// Check runs on the pending enrollment, once taken, before anything is
	// verified: the surface checks who may answer it.
	Check func(p *Pending) error
	// Authorize runs on the verified credential before it is stored (a
	// policy on the attachment the authenticator reported, say).
	Authorize func(u *account.User, cred *account.Credential) error
	// Apply changes the user in the same atomic write that adds the
	// credential (backup codes with a first factor, say). It may run more
	// than once (compare-and-swap retries).
	Apply func(u *account.User) error
}

// Complete answers the ceremony kept under in.Key: it takes the ceremony
// (GETDEL, so a replay or a concurrent answer finds it gone), verifies the
// response against it and adds the credential to the user, all or nothing.
// A failed verification spends the ceremony. It returns the user as
// written and the new credential.
func (core *Core) Complete(ctx context.Context, t *tenant.Tenant, in Completion) (*account.User, account.Credential, error) {
	raw, err := core.Redis.GetDel(ctx, pendingKey(t.ID, in.Key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, account.Credential{}, ErrNotPending
	}
	if err != nil {
		return nil, account.Credential{}, wrap("take enrollment", err)
	}
	var p Pending
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, account.Credential{}, errors.Join(ErrNotPending, err)
	}
	if in.Check != nil {
		if err := in.Check(&p); err != nil {
			return nil, account.Credential{}, err
		}
	}
	u, err := core.Accounts.Get(ctx, t.ID, p.UserID)
	if err != nil {
		return nil, account.Credential{}, err
	}
	cred, err := core.Verify(ctx, t, p.Origin, UserOf(u), p.Session, in.Response)
	if err != nil {
		return nil, account.Credential{}, err
	}
	cred.FactorID, cred.Name = p.ID, in.Name
	if in.Authorize != nil {
		if err := in.Authorize(u, &cred); err != nil {
			return nil, account.Credential{}, err
		}
	}
	out, err := core.Accounts.Update(ctx, t.ID, u.ID, func(u *account.User) error {
		u.MFA.WebAuthn = append(u.MFA.WebAuthn, cred)
		if in.Apply != nil {
			return in.Apply(u)
		}
		return nil
	})
	var taken *account.TakenError
	if errors.As(err, &taken) && taken.Kind == account.KindCredID {
		return nil, account.Credential{}, ErrCredentialInUse
	}
	if err != nil {
		return nil, account.Credential{}, err
	}
	return out, cred, nil
}

// Pending reads the ceremony kept under key without taking it.
func (core *Core) Pending(ctx context.Context, t *tenant.Tenant, key string) (Pending, error) {
	raw, err := core.Redis.Get(ctx, pendingKey(t.ID, key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Pending{}, ErrNotPending
	}
	if err != nil {
		return Pending{}, wrap("read enrollment", err)
	}
	var p Pending
	if err := json.Unmarshal(raw, &p); err != nil {
		return Pending{}, errors.Join(ErrNotPending, err)
	}
	return p, nil
}
