package interaction

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"slices"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

// WebAuthn errors, in Logto's codes where Logto has one.
var (
	ErrWebAuthnFailed  = httpx.New(fiber.StatusBadRequest, "session.mfa.webauthn_verification_failed", "WebAuthn verification failed.")
	ErrPendingNotFound = httpx.New(fiber.StatusBadRequest, "session.mfa.pending_info_not_found", "Pending MFA info not found, please initiate MFA first.")
	ErrCredentialInUse = httpx.New(fiber.StatusUnprocessableEntity, "user.webauthn_credential_already_in_use", "This passkey is already registered.")
	ErrCloneSuspected  = httpx.New(fiber.StatusBadRequest, "session.mfa.webauthn_counter_regression", "This passkey's signature counter went backwards; it may have been cloned.")
	ErrMFASignInOnly   = httpx.New(fiber.StatusBadRequest, "session.mfa.mfa_sign_in_only", "Mfa is only available for sign-in interaction.")
	ErrNoSubject       = httpx.New(fiber.StatusBadRequest, "session.mfa.subject_not_found", "Identify the user (or start a Register interaction) before using WebAuthn.")
	// ErrUnknownCredential answers an assertion by a credential this tenant
	// does not know (never registered, or removed): the page may tell the
	// browser to forget it (signalUnknownCredential).
	ErrUnknownCredential = httpx.New(fiber.StatusBadRequest, "session.mfa.webauthn_credential_not_found", "This passkey is not registered here.")
	// ErrNoWebAuthnOrigin: the tenant's RP ID covers none of its hosts and
	// it lists no related origin, so browsers refuse every ceremony.
	ErrNoWebAuthnOrigin = httpx.New(fiber.StatusBadRequest, "session.mfa.webauthn_origin_not_allowed", "Passkeys cannot be used on this site: its relying party ID covers none of its addresses.")
	// ErrNoPasskey: authentication options for an identified user who has
	// no passkey, which no authenticator could answer (Logto's code).
	ErrNoPasskey        = httpx.New(fiber.StatusBadRequest, "session.mfa.webauthn_verification_not_found", "No passkey is registered for this account.")
	errCeremonyConsumed = errors.New("interaction: ceremony already consumed")
)

const (
	kindRegistration   = "registration"
	kindAuthentication = "authentication"
)

func subjectOf(u *account.User) *Subject {
	s := &Subject{Handle: u.WebAuthnHandle}
	for _, c := range u.MFA.WebAuthn {
		s.Credentials = append(s.Credentials, CredentialRef{ID: c.ID, Transports: c.Transports})
	}
	return s
}

// webauthnUser is the go-webauthn view of the interaction's subject.
func webauthnUser(ix *Interaction) *verification.User {
	name := ix.Profile.Username
	if name == "" {
		name = ix.Profile.Email
	}
	if name == "" && len(ix.Verified) > 0 {
		name = ix.Verified[0].Value
	}
	if name == "" {
		name = "user"
	}
	u := &verification.User{Handle: ix.Subject.Handle, Name: name, DisplayName: name}
	for _, c := range ix.Subject.Credentials {
		u.Credentials = append(u.Credentials, account.Credential{ID: c.ID, Transports: c.Transports})
	}
	u.Credentials = append(u.Credentials, ix.PendingCredentials...)
	return u
}

// BeginRegistration answers creation options and keeps the ceremony in the
// interaction: one read, one compare-and-swap. A conditional registration
// is for a browser's conditional create (a passkey made without a dialog).
func (s *Service) BeginRegistration(ctx context.Context, r Request, id string, conditional bool) ([]byte, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return nil, err
	}
	if ix.Event == ForgotPassword {
		return nil, ErrNotForForgot
	}
	if ix.Subject == nil {
		return nil, ErrNoSubject
	}
	c, err := s.Enroll.Options(r.Tenant, r.Origin, webauthnUser(ix), enroll.Choice{Conditional: conditional})
	if err != nil {
		return nil, webauthnErr(err)
	}
	if err := s.keepCeremony(ctx, r, ix, doc, ix.Subject.Handle, Ceremony{Kind: kindRegistration, Session: c.Session, Conditional: conditional}); err != nil {
		return nil, err
	}
	return c.Options, nil
}

// BeginAuthentication answers request options: for the identified user's
// credentials, or, before any identifier, for a discoverable passkey.
func (s *Service) BeginAuthentication(ctx context.Context, r Request, id string) ([]byte, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return nil, err
	}
	if ix.Event != SignIn {
		return nil, ErrMFASignInOnly
	}
	var u *verification.User
	var handle []byte
	var opts []verification.LoginOption
	if ix.UserID != "" && ix.Subject != nil {
		u, handle = webauthnUser(ix), ix.Subject.Handle
		if identifiedByPasskey(ix) {
			opts = append(opts, verification.WithUserVerificationRequired())
		}
	}
	c, err := s.WebAuthn.BeginLogin(r.Tenant, r.Origin, u, opts...)
	if err != nil {
		return nil, webauthnErr(err)
	}
	if err := s.keepCeremony(ctx, r, ix, doc, handle, Ceremony{Kind: kindAuthentication, Session: c.Session}); err != nil {
		return nil, err
	}
	return c.Options, nil
}

// keepCeremony records a new ceremony, replacing (and so spending) any
// earlier one. The subject must not have changed since the options were
// built from it.
func (s *Service) keepCeremony(ctx context.Context, r Request, ix *Interaction, doc session.Doc, handle []byte, c Ceremony) error {
	_, err := s.Store.UpdateFrom(ctx, s.Kind, doc, s.mutateFrom(r.Tenant, ix, doc, func(cur *Interaction) error {
		var curHandle []byte
		if cur.Subject != nil && (cur.UserID != "" || cur.Event == Register) {
			curHandle = cur.Subject.Handle
		}
		if handle != nil && !bytes.Equal(curHandle, handle) {
			return session.ErrConflict
		}
		cur.Ceremony = &c
		return nil
	}))
	return notFound(err)
}

// spend removes the ceremony the caller verified against (its session,
// which begins with the challenge, names it), whatever the outcome of the
// verification (a failed attempt cannot be retried against the same
// challenge), and applies the result when verr is nil, in one
// compare-and-swap: a replayed or concurrent response finds the ceremony
// gone. A result that identifies someone moves the interaction to a new id
// in the same write (move); spend returns the id the interaction has
// afterwards, and verr as an API error.
func (s *Service) spend(ctx context.Context, r Request, ix *Interaction, doc session.Doc, ceremony []byte, verr error, move bool, apply func(cur *Interaction)) (string, error) {
	id, err := s.saveMove(ctx, r.Tenant, ix, doc, func(cur *Interaction) (bool, error) {
		if cur.Ceremony == nil || !bytes.Equal(cur.Ceremony.Session, ceremony) {
			return false, errCeremonyConsumed
		}
		cur.Ceremony = nil
		if verr != nil {
			return false, nil
		}
		apply(cur)
		return move, nil
	})
	if errors.Is(err, errCeremonyConsumed) {
		return "", ErrPendingNotFound
	}
	if err != nil {
		return "", err
	}
	return id, webauthnErr(verr)
}

// pending returns the interaction and its ceremony of the wanted kind.
func (s *Service) pending(ctx context.Context, r Request, id, kind string) (*Interaction, session.Doc, *Ceremony, error) {
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return nil, doc, nil, err
	}
	if ix.Ceremony == nil || ix.Ceremony.Kind != kind {
		return nil, doc, nil, ErrPendingNotFound
	}
	return ix, doc, ix.Ceremony, nil
}

// BindWebAuthn verifies an attestation and binds the new credential to the
// interaction; it is stored on the user at submit.
func (s *Service) BindWebAuthn(ctx context.Context, r Request, id string, response []byte) error {
	ix, doc, err := s.mfaSubject(ctx, r, id)
	if err != nil {
		return err
	}
	c := ix.Ceremony
	if c == nil || c.Kind != kindRegistration {
		return ErrPendingNotFound
	}
	cred, verr := s.Enroll.Verify(ctx, r.Tenant, r.Origin, webauthnUser(ix), c.Session, response)
	if errors.Is(verr, enroll.ErrCredentialInUse) {
		verr = ErrCredentialInUse
	} else if verr != nil && !isVerifyFailure(verr) {
		return verr // storage: the ceremony is kept for a retry
	}
	cred.Name = "Passkey"
	_, err = s.spend(ctx, r, ix, doc, c.Session, verr, false, func(cur *Interaction) {
		cur.PendingCredentials = append(cur.PendingCredentials, cred)
		if c.Conditional {
			return // created silently: it proves nothing about who is here
		}
		cur.MFAVerified = true
		cur.Verified = append(cur.Verified, Verified{Method: "webauthn"})
	})
	return err
}

// VerifyWebAuthn verifies an assertion as the second factor of a sign-in.
//
// A second factor must add a factor the identification did not prove
// (ARCHITECTURE §9). After a password or a code, any of the user's
// credentials adds possession. After a passkey, possession of an
// authenticator is proven already, and another assertion, of the same
// credential or of another one that may sit in the same authenticator or
// synced keychain, proves it again; only user verification (PIN,
// biometrics) adds something, which is why a passkey with user verification
// counts as two factors on its own. So after a passkey identification a
// WebAuthn second factor must carry user verification: the options demand
// it, and the check here holds even for a ceremony begun before the passkey
// identified the user. TOTP and backup codes count as usual.
func (s *Service) VerifyWebAuthn(ctx context.Context, r Request, id string, response []byte) error {
	ix, doc, c, err := s.pending(ctx, r, id, kindAuthentication)
	if err != nil {
		return err
	}
	if ix.UserID == "" {
		return ErrIdentifierNotFound
	}
	u, uv, err := s.Accounts.GetAt(ctx, r.Tenant.ID, ix.UserID)
	if err != nil {
		return err
	}
	a, verr := s.finishLogin(r, u, c, response)
	var sameFactor error
	if _, err := s.spend(ctx, r, ix, doc, c.Session, verr, false, func(cur *Interaction) {
		if cur.UserID != u.ID {
			sameFactor = ErrIdentifierNotFound // another user was identified meanwhile
			return
		}
		if identifiedByPasskey(cur) && !a.UserVerified {
			sameFactor = ErrWebAuthnFailed.WithCause(errSameFactor)
			return
		}
		cur.MFAVerified = true
		cur.Verified = append(cur.Verified, Verified{Method: "webauthn"})
	}); err != nil {
		return s.failed(ctx, r, SignIn, MethodWebAuthn, u.ID, err)
	}
	if sameFactor != nil {
		return sameFactor
	}
	return s.recordUse(ctx, r, u, uv, a.Credential)
}

// errSameFactor: a WebAuthn assertion without user verification after a
// passkey identified the user proves no second factor.
var errSameFactor = errors.New("interaction: webauthn without user verification after a passkey identification")

// identifiedByPasskey reports whether a passkey helped identify the user.
func identifiedByPasskey(ix *Interaction) bool {
	return slices.ContainsFunc(ix.Verified, func(v Verified) bool { return v.Method == "passkey" })
}

// identifyPasskey identifies a user by a discoverable credential. With user
// verification it proves two factors at once.
func (s *Service) identifyPasskey(ctx context.Context, r Request, ix *Interaction, doc session.Doc, response []byte) (string, error) {
	c := ix.Ceremony
	if c == nil || c.Kind != kindAuthentication {
		return "", ErrPendingNotFound
	}
	parsed, err := verification.ParseAssertion(response)
	var u *account.User
	var uv int64
	if err == nil {
		u, uv, err = s.Accounts.FindAt(ctx, r.Tenant.ID, account.KindHandle, b64(parsed.Response.UserHandle))
		if errors.Is(err, account.ErrNotFound) {
			err = verification.ErrUnknownPasskey
		}
	}
	var a verification.Assertion
	if err == nil {
		a, err = s.WebAuthn.FinishLogin(r.Tenant, r.Origin, libUserOf(u), c.Session, parsed, s.Now())
	}
	id, err := s.spend(ctx, r, ix, doc, c.Session, err, true, func(cur *Interaction) {
		identified(cur, u, Verified{Method: "passkey", Kind: "passkey", Value: b64(a.Credential.ID)})
		cur.MFAVerified = cur.MFAVerified || a.UserVerified
	})
	if err != nil {
		return "", s.failed(ctx, r, SignIn, MethodPasskey, "", err)
	}
	return id, s.recordUse(ctx, r, u, uv, a.Credential)
}

func (s *Service) finishLogin(r Request, u *account.User, c *Ceremony, response []byte) (verification.Assertion, error) {
	parsed, err := verification.ParseAssertion(response)
	if err != nil {
		return verification.Assertion{}, err
	}
	return s.WebAuthn.FinishLogin(r.Tenant, r.Origin, libUserOf(u), c.Session, parsed, s.Now())
}

func libUserOf(u *account.User) *verification.User {
	return &verification.User{Handle: u.WebAuthnHandle, Name: u.Username, DisplayName: u.Username, Credentials: u.MFA.WebAuthn}
}

// recordUse stores a credential's new sign count, backup state and last use
// on u, as read at version (no second read unless another write came
// between).
func (s *Service) recordUse(ctx context.Context, r Request, u *account.User, version int64, cred account.Credential) error {
	_, err := s.Accounts.UpdateFrom(ctx, r.Tenant.ID, u.ID, u, version, func(u *account.User) error {
		i := slices.IndexFunc(u.MFA.WebAuthn, func(c account.Credential) bool { return bytes.Equal(c.ID, cred.ID) })
		if i >= 0 {
			u.MFA.WebAuthn[i] = cred
		}
		return nil
	})
	return err
}

// isVerifyFailure reports whether err says the response was wrong (rather
// than that Redis did not answer).
func isVerifyFailure(err error) bool {
	return errors.Is(err, verification.ErrWebAuthnFailed) || errors.Is(err, verification.ErrCloneSuspected) ||
		errors.Is(err, verification.ErrUnknownPasskey)
}

func webauthnErr(err error) error {
	var apiErr *httpx.Error
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.Is(err, verification.ErrCloneSuspected):
		return ErrCloneSuspected
	case errors.Is(err, verification.ErrUnknownPasskey):
		return ErrUnknownCredential.WithCause(err)
	case errors.Is(err, verification.ErrNoOrigin):
		return ErrNoWebAuthnOrigin.WithCause(err)
	case errors.Is(err, verification.ErrNoPasskey):
		return ErrNoPasskey.WithCause(err)
	case errors.Is(err, verification.ErrWebAuthnFailed):
		return ErrWebAuthnFailed.WithCause(err)
	}
	return err
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
