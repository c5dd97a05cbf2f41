package interaction

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

// Service holds the interaction rules. It never sees HTTP.
type Service struct {
	Store    *session.Store
	Kind     session.Kind
	Logins   *session.Logins
	Accounts *account.Store
	Hasher   *verification.Hasher
	WebAuthn *verification.WebAuthn
	// Enroll builds and verifies WebAuthn registrations (the ceremony
	// itself stays in the interaction).
	Enroll *enroll.Core
	TOTP   *verification.TOTP
	// Senders picks the connector for one-time codes; CodeKey keys their
	// hashes (HMAC), so a leaked Redis dump cannot be brute-forced offline.
	Senders    SenderFor
	CodeKey    []byte
	SendLimits SendLimits
	Limiter    *verification.Limiter
	Limits     Limits
	Now        func() time.Time
	// Finisher completes the authorization request an interaction serves.
	Finisher AuthFinisher
	// Recorder, if set, hears of sign-ins, sign-ups, resets and MFA
	// changes (audit trail, webhooks, metrics).
	Recorder Recorder
}

// load reads an interaction and checks that it belongs to t.
func (s *Service) load(ctx context.Context, t *tenant.Tenant, id string) (*Interaction, session.Doc, error) {
	doc, err := s.Store.Get(ctx, s.Kind, id)
	if err != nil {
		return nil, doc, notFound(err)
	}
	ix, err := decode(t, doc)
	return ix, doc, err
}

// decode parses an interaction of tenant t. One marked by a submit of an
// earlier Foyer (which claimed the interaction before deleting it; submit
// now takes it at once) is already spent: it answers ErrNotFound, as a
// deleted one would.
func decode(t *tenant.Tenant, doc session.Doc) (*Interaction, error) {
	ix, err := unmarshal(doc.Data)
	if err != nil {
		return nil, fmt.Errorf("interaction: corrupt document: %w", err)
	}
	if ix.TenantID != t.ID {
		return nil, tenant.ErrMismatch
	}
	if ix.Submitting {
		return nil, ErrNotFound
	}
	return ix, nil
}

func notFound(err error) error {
	if errors.Is(err, session.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// update applies fn to the interaction with compare-and-swap, retrying on a
// lost race (fn may run more than once and must depend only on its input).
func (s *Service) update(ctx context.Context, t *tenant.Tenant, id string, fn func(ix *Interaction) error) error {
	_, err := s.Store.Update(ctx, s.Kind, id, s.mutate(t, fn))
	return notFound(err)
}

// save is update for an interaction the caller has just loaded (ix from
// doc): it saves the second read, and the first attempt reuses ix.
func (s *Service) save(ctx context.Context, t *tenant.Tenant, ix *Interaction, doc session.Doc, fn func(ix *Interaction) error) error {
	_, err := s.Store.UpdateFrom(ctx, s.Kind, doc, s.mutateFrom(t, ix, doc, fn))
	return notFound(err)
}

// saveMove is save whose fn also answers whether the interaction moves to
// a new id (session.Store.UpdateMove), which costs no round trip of its
// own. It returns the id the interaction has afterwards.
func (s *Service) saveMove(ctx context.Context, t *tenant.Tenant, ix *Interaction, doc session.Doc, fn func(ix *Interaction) (bool, error)) (string, error) {
	var move bool
	mut := s.mutateFrom(t, ix, doc, func(cur *Interaction) (err error) {
		move, err = fn(cur)
		return err
	})
	d, err := s.Store.UpdateMove(ctx, s.Kind, doc, func(old session.Doc) ([]byte, bool, error) {
		data, err := mut(old)
		return data, move, err
	})
	if err != nil {
		return "", notFound(err)
	}
	return d.ID, nil
}

// mutate adapts fn to session.Store's update function: decode, check the
// tenant, apply, encode.
func (s *Service) mutate(t *tenant.Tenant, fn func(ix *Interaction) error) func(session.Doc) ([]byte, error) {
	return s.mutateFrom(t, nil, session.Doc{}, fn)
}

// mutateFrom is mutate for a caller that has just decoded ix from loaded:
// the first attempt, if it sees that same version, reuses ix instead of
// decoding it again (a retry always decodes the newer document).
func (s *Service) mutateFrom(t *tenant.Tenant, ix *Interaction, loaded session.Doc, fn func(ix *Interaction) error) func(session.Doc) ([]byte, error) {
	return func(old session.Doc) ([]byte, error) {
		cur := ix
		ix = nil
		if cur == nil || old.Version != loaded.Version {
			var err error
			if cur, err = decode(t, old); err != nil {
				return nil, err
			}
		}
		if err := fn(cur); err != nil {
			return nil, err
		}
		return encode(cur)
	}
}

// StartInput is the body of PUT /api/interaction.
type StartInput struct {
	Event      Event            `json:"event" validate:"required,oneof=SignIn Register ForgotPassword"`
	Identifier *IdentifierInput `json:"identifier"`
	Profile    *ProfileInput    `json:"profile"`
}

// Start begins an interaction, or restarts the one named by id (keeping its
// id, so the cookie stays). It returns the id to set in the cookie. An
// identifier or profile in the input is verified and applied before
// anything is written. New interactions are limited per client address
// (Limits.StartsPerIP).
func (s *Service) Start(ctx context.Context, r Request, id string, in StartInput) (string, error) {
	t := r.Tenant
	if in.Identifier != nil && (len(in.Identifier.Passkey) > 0 || in.Identifier.VerificationCode != "") && id != "" {
		// A passkey or a code answers a challenge kept in the current
		// interaction: identify against it, after switching its event if
		// the body names another (which drops the challenge, as any switch
		// does). The interaction read here serves both.
		ix, doc, err := s.load(ctx, t, id)
		if err != nil {
			return "", err
		}
		if ix.Event != in.Event {
			if err := s.SetEvent(ctx, t, id, EventInput{Event: in.Event}); err != nil {
				return "", err
			}
			if ix, doc, err = s.load(ctx, t, id); err != nil {
				return "", err
			}
		}
		return s.identifyLoaded(ctx, r, ix, doc, *in.Identifier)
	}
	// A new interaction is counted against the client's address before any
	// work; one that turns out to be needed only because the cookie names
	// none is counted at the end.
	if id == "" {
		if err := s.admitStart(ctx, r); err != nil {
			return "", err
		}
	}
	start := &Interaction{TenantID: t.ID, Event: in.Event, CreatedAt: s.Now().UTC()}
	if in.Event == Register {
		start.Subject = &Subject{Handle: account.NewHandle()}
	}
	if in.Identifier != nil {
		u, v, err := s.identify(ctx, r, in.Event, *in.Identifier)
		if err != nil {
			return "", err
		}
		identified(start, u, v)
	}
	if in.Profile != nil {
		p, err := s.profileChange(ctx, t, start, *in.Profile, true)
		if err != nil {
			return "", err
		}
		if err := p.apply(t, start, true); err != nil {
			return "", err
		}
	}
	if id != "" && in.Identifier != nil {
		// Replaced by a new interaction below; it keeps the authorization
		// request the old one was signing in for.
		old, _, err := s.load(ctx, t, id)
		switch {
		case err == nil:
			start.AuthRequestID = old.AuthRequestID
		case errors.Is(err, ErrNotFound):
			if err := s.admitStart(ctx, r); err != nil {
				return "", err
			}
			id = ""
		default:
			return "", err
		}
	}
	fresh := func() *Interaction { cp := *start; return &cp }
	if id != "" && in.Identifier == nil {
		// A restart keeps the id (and so the cookie). One that identifies
		// someone gets a new id below, so that an id planted in a
		// victim's browser is not the one that ends up signed in.
		err := s.update(ctx, t, id, func(ix *Interaction) error {
			req := ix.AuthRequestID // a restart still signs in for the same request
			*ix = *fresh()
			ix.AuthRequestID = req
			return nil
		})
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return "", err
		}
		if err := s.admitStart(ctx, r); err != nil {
			return "", err
		}
	}
	data, err := encode(fresh())
	if err != nil {
		return "", err
	}
	doc, err := s.Store.Create(ctx, s.Kind, data, 0)
	if err != nil {
		return "", err
	}
	if id != "" && id != doc.ID {
		_ = s.Store.Delete(ctx, s.Kind, id) // replaced; it would expire anyway
	}
	return doc.ID, nil
}

// EventInput is the body of PUT /api/interaction/event.
type EventInput struct {
	Event Event `json:"event" validate:"required,oneof=SignIn Register ForgotPassword"`
}

// SetEvent changes the interaction's event, dropping every result the new
// event does not accept (switchEvent).
func (s *Service) SetEvent(ctx context.Context, t *tenant.Tenant, id string, in EventInput) error {
	handle := account.NewHandle() // made outside: the update function may run again
	err := s.update(ctx, t, id, func(ix *Interaction) error {
		ix.switchEvent(in.Event, handle)
		return nil
	})
	return err
}

// State returns the public state of an interaction in one round trip.
func (s *Service) State(ctx context.Context, t *tenant.Tenant, id string) (State, error) {
	ix, _, err := s.load(ctx, t, id)
	if err != nil {
		return State{}, err
	}
	return s.state(t, ix), nil
}

// Delete abandons an interaction. It must belong to t.
func (s *Service) Delete(ctx context.Context, t *tenant.Tenant, id string) error {
	if _, _, err := s.load(ctx, t, id); err != nil {
		return err
	}
	return s.Store.Delete(ctx, s.Kind, id)
}

// Request is what the service needs to know of the HTTP request.
type Request struct {
	Tenant *tenant.Tenant
	IP     string
	// Origin is the browser origin of the request, already checked against
	// the tenant's origins ("" for non-browser clients).
	Origin string
	// UserAgent is the client's User-Agent header, for the audit trail.
	UserAgent string
}
