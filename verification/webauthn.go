package verification

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
	json "github.com/goccy/go-json"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/tenant"
)

// WebAuthn errors. Library errors are wrapped, never shown: their DevInfo
// may describe the server's expectations in detail.
var (
	ErrWebAuthnFailed  = errors.New("verification: webauthn verification failed")
	ErrCloneSuspected  = errors.New("verification: sign counter did not increase (cloned authenticator?)")
	ErrUnknownPasskey  = errors.New("verification: unknown credential")
	ErrCeremonyExpired = errors.New("verification: webauthn ceremony expired")
	// ErrNoOrigin: no page of the tenant may use its RP ID (no host under
	// it, no related origin), so no ceremony can succeed.
	ErrNoOrigin = errors.New("verification: no origin may use the tenant's RP ID")
)

// WebAuthn runs WebAuthn ceremonies for every tenant on
// github.com/go-webauthn/webauthn, keeping one *webauthn.WebAuthn per
// tenant (and, in dev mode, per origin) built once and reused.
type WebAuthn struct {
	mu    sync.Mutex
	cache map[string]*webauthn.WebAuthn
}

// NewWebAuthn returns an empty WebAuthn module.
func NewWebAuthn() *WebAuthn {
	return &WebAuthn{cache: make(map[string]*webauthn.WebAuthn)}
}

// maxRPs bounds the cache; dev-mode origins are client-chosen.
const maxRPs = 1024

// rp returns the relying party of t as seen from origin (which the caller
// has checked is one of t's origins).
func (w *WebAuthn) rp(t *tenant.Tenant, origin string) (*webauthn.WebAuthn, error) {
	key := t.ID + "|" + strconv.FormatInt(t.UpdatedAt.UnixNano(), 36) + "|" + origin
	w.mu.Lock()
	defer w.mu.Unlock()
	if rp, ok := w.cache[key]; ok {
		return rp, nil
	}
	origins := t.WebAuthnOrigins()
	if origin != "" && t.AllowsWebAuthnOrigin(origin) && !slices.Contains(origins, origin) {
		origins = append(origins, origin) // a dev-mode origin with a port
	}
	if len(origins) == 0 {
		return nil, ErrNoOrigin
	}
	timeout := time.Duration(t.Settings.Passkey.Timeout) * time.Millisecond
	tc := webauthn.TimeoutConfig{Enforce: true, Timeout: timeout, TimeoutUVD: timeout}
	rp, err := webauthn.New(&webauthn.Config{
		RPID: t.RPID(), RPDisplayName: t.Name(), RPOrigins: origins,
		AttestationPreference: protocol.ConveyancePreference(t.Settings.Passkey.Attestation),
		Timeouts:              webauthn.TimeoutsConfig{Login: tc, Registration: tc},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn config of tenant %s: %w", t.ID, err)
	}
	if len(w.cache) >= maxRPs {
		clear(w.cache)
	}
	w.cache[key] = rp
	return rp, nil
}

// User is the WebAuthn view of a user (or of a user being registered).
type User struct {
	Handle      []byte
	Name        string
	DisplayName string
	Credentials []account.Credential
}

var _ webauthn.User = (*libUser)(nil)

type libUser struct{ u *User }

func (l libUser) WebAuthnID() []byte          { return l.u.Handle }
func (l libUser) WebAuthnName() string        { return l.u.Name }
func (l libUser) WebAuthnDisplayName() string { return l.u.DisplayName }
func (l libUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(l.u.Credentials))
	for i, c := range l.u.Credentials {
		out[i] = libCredential(c)
	}
	return out
}

func libCredential(c account.Credential) webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType, Transport: tr,
		Flags: webauthn.CredentialFlags{
			UserPresent: true, UserVerified: c.UserVerified,
			BackupEligible: c.BackupEligible, BackupState: c.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

func descriptors(creds []account.Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(creds))
	for i, c := range creds {
		lc := libCredential(c)
		out[i] = lc.Descriptor()
	}
	return out
}

// Ceremony is a begun ceremony: the options for the browser and the
// library's SessionData, kept as the library returned it (rebuilding it
// from parts would lose the algorithm and extension checks).
type Ceremony struct {
	Options json.RawMessage
	Session json.RawMessage
	// Challenge identifies the ceremony so that the write that consumes it
	// can check it is still the current one.
	Challenge string
}

// pinned reports whether a ceremony begun from origin is bound to it: only
// an origin allowed for the tenant's RP ID is. Any other is left unbound,
// so the answer is checked against the tenant's WebAuthn origins, which
// exclude it.
func pinned(t *tenant.Tenant, origin string) bool {
	return origin != "" && t.AllowsWebAuthnOrigin(origin)
}

// Registration is what one registration ceremony asks for: the tenant's
// passkey preferences, as the caller narrowed them (a security key asks for
// a cross-platform authenticator, say), the RP ID, one of the tenant's
// hosts ("" is the tenant's own RP ID), and whether it is conditional.
//
// A conditional registration (W3C WebAuthn L3 §5.1.3, mediation
// "conditional": a passkey created without a dialog, e.g. right after a
// password sign-in) asks for a discoverable credential and never requires
// user verification; it is the only kind whose answer may lack user
// presence.
type Registration struct {
	Passkey     tenant.Passkey
	RPID        string
	Conditional bool
}

// TenantRegistration is a ceremony with the tenant's own preferences.
func TenantRegistration(t *tenant.Tenant) Registration {
	return Registration{Passkey: t.Settings.Passkey}
}

// BeginRegistration builds creation options (ARCHITECTURE §6) for u, with
// every field present and reg's preferences applied.
func (w *WebAuthn) BeginRegistration(t *tenant.Tenant, origin string, u *User, reg Registration) (Ceremony, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return Ceremony{}, err
	}
	p := reg.Passkey
	params := make([]protocol.CredentialParameter, len(p.PubKeyCredParams))
	for i, alg := range p.PubKeyCredParams {
		params[i] = protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: coseAlg(alg)}
	}
	rk := protocol.ResidentKeyRequirement(p.ResidentKey)
	requireRK := rk == protocol.ResidentKeyRequirementRequired
	uv := protocol.UserVerificationRequirement(p.UserVerification)
	mediation := protocol.MediationDefault
	if reg.Conditional {
		mediation = protocol.MediationConditional
		rk, requireRK = protocol.ResidentKeyRequirementRequired, true
		if uv == protocol.VerificationRequired {
			uv = protocol.VerificationPreferred
		}
	}
	sel := protocol.AuthenticatorSelection{
		AuthenticatorAttachment: protocol.AuthenticatorAttachment(p.AuthenticatorAttachment),
		RequireResidentKey:      &requireRK, ResidentKey: rk,
		UserVerification: uv,
	}
	exts := []webauthn.ExtensionOption{}
	if p.Extensions.CredProps {
		exts = append(exts, webauthn.WithExtensionCredProps())
	}
	if p.Extensions.HMACCreateSecret {
		exts = append(exts, webauthn.WithExtensionHMACCreateSecret())
	}
	opts := []webauthn.RegistrationOption{
		webauthn.WithCredentialParameters(params),
		webauthn.WithAuthenticatorSelection(sel),
		webauthn.WithConveyancePreference(protocol.ConveyancePreference(p.Attestation)),
		webauthn.WithExclusions(descriptors(u.Credentials)),
		webauthn.WithExtensions(exts...),
	}
	if pinned(t, origin) {
		opts = append(opts, webauthn.WithRegistrationOrigin(origin))
	}
	if reg.RPID != "" && reg.RPID != t.RPID() {
		opts = append(opts, webauthn.WithRegistrationRelyingPartyID(reg.RPID))
	}
	if len(p.Hints) > 0 {
		hints := make([]protocol.PublicKeyCredentialHints, len(p.Hints))
		for i, h := range p.Hints {
			hints[i] = protocol.PublicKeyCredentialHints(h)
		}
		opts = append(opts, webauthn.WithPublicKeyCredentialHints(hints))
	}
	creation, sd, err := rp.BeginMediatedRegistration(libUser{u}, mediation, opts...)
	if err != nil {
		return Ceremony{}, fmt.Errorf("begin registration: %w", err)
	}
	return ceremony(creationOptions(&creation.Response, p), sd)
}

func coseAlg(a int64) webauthncose.COSEAlgorithmIdentifier {
	return webauthncose.COSEAlgorithmIdentifier(a)
}

func ceremony(options any, sd *webauthn.SessionData) (Ceremony, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, err
	}
	s, err := json.Marshal(sd)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{Options: o, Session: s, Challenge: sd.Challenge}, nil
}

// FinishRegistration verifies an attestation response (the WebAuthn L3
// JSON a browser's toJSON() sends) against the ceremony's session data and
// returns the credential to store.
func (w *WebAuthn) FinishRegistration(t *tenant.Tenant, origin string, u *User, session json.RawMessage, response []byte) (account.Credential, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return account.Credential{}, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(session, &sd); err != nil {
		return account.Credential{}, fmt.Errorf("webauthn session: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(normalizeType(response))
	if err != nil {
		return account.Credential{}, fmt.Errorf("%w: parse attestation: %w", ErrWebAuthnFailed, err)
	}
	cred, err := rp.CreateCredential(libUser{u}, sd, parsed)
	if err != nil {
		return account.Credential{}, fmt.Errorf("%w: %w", ErrWebAuthnFailed, err)
	}
	out := account.Credential{
		ID: cred.ID, PublicKey: cred.PublicKey, Algorithm: publicKeyAlg(parsed),
		SignCount: cred.Authenticator.SignCount, AAGUID: cred.Authenticator.AAGUID,
		Attachment: string(cred.Authenticator.Attachment), AttestationType: cred.AttestationType,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		UserVerified: cred.Flags.UserVerified, RPID: sd.GetRelyingPartyID(t.RPID()),
	}
	for _, tr := range cred.Transport {
		out.Transports = append(out.Transports, string(tr))
	}
	if cp := parsed.ClientExtensionResults.CredProps; cp != nil && cp.RK != nil {
		out.Discoverable = *cp.RK
	}
	return out, nil
}

// publicKeyAlg reads the algorithm from the verified COSE key in the
// authenticator data (not from the unsigned publicKeyAlgorithm member).
func publicKeyAlg(p *protocol.ParsedCredentialCreationData) int64 {
	var pk webauthncose.PublicKeyData
	if err := webauthncbor.Unmarshal(p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey, &pk); err != nil {
		return 0
	}
	return pk.Algorithm
}

// LoginOption changes the request options of one authentication ceremony.
type LoginOption func(*loginConfig)

type loginConfig struct {
	uv protocol.UserVerificationRequirement
}

// WithUserVerificationRequired asks for, and then demands, user
// verification (W3C WebAuthn L3 §5.8.6 "required") whatever the tenant
// prefers: for a second factor after a passkey identified the user, where
// only user verification adds a factor.
func WithUserVerificationRequired() LoginOption {
	return func(c *loginConfig) { c.uv = protocol.VerificationRequired }
}

// BeginLogin builds request options: for u's credentials, or, with u nil,
// for a discoverable credential (passkey sign-in without an identifier).
// User verification follows the tenant's passkey settings unless an option
// says otherwise; "required" is enforced by FinishLogin (the library keeps
// it in the session data).
func (w *WebAuthn) BeginLogin(t *tenant.Tenant, origin string, u *User, options ...LoginOption) (Ceremony, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return Ceremony{}, err
	}
	cfg := loginConfig{uv: protocol.UserVerificationRequirement(t.Settings.Passkey.UserVerification)}
	for _, o := range options {
		o(&cfg)
	}
	opts := []webauthn.LoginOption{webauthn.WithUserVerification(cfg.uv)}
	if pinned(t, origin) {
		opts = append(opts, webauthn.WithLoginOrigin(origin))
	}
	var assertion *protocol.CredentialAssertion
	var sd *webauthn.SessionData
	if u == nil {
		assertion, sd, err = rp.BeginDiscoverableLogin(opts...)
	} else {
		assertion, sd, err = rp.BeginLogin(libUser{u}, opts...)
	}
	if err != nil {
		return Ceremony{}, fmt.Errorf("begin login: %w", err)
	}
	return ceremony(requestOptions(&assertion.Response), sd)
}

// Assertion is a verified assertion.
type Assertion struct {
	// Credential is the stored credential with its new sign count, backup
	// state and last use.
	Credential account.Credential
	// UserHandle is the handle the authenticator returned (discoverable).
	UserHandle []byte
	// UserVerified says the authenticator verified the user (PIN,
	// biometrics), so the assertion is two factors in one.
	UserVerified bool
}

// ParseAssertion parses an assertion response; it is exposed so that the
// caller can find the user from the user handle before verifying.
func ParseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	p, err := protocol.ParseCredentialRequestResponseBytes(normalizeType(response))
	if err != nil {
		return nil, fmt.Errorf("%w: parse assertion: %w", ErrWebAuthnFailed, err)
	}
	return p, nil
}

// FinishLogin verifies an assertion against the ceremony for user u (whose
// credentials must include the one used). It refuses a sign counter that
// did not increase (the library only flags it), and returns the credential
// updated as it should be stored.
func (w *WebAuthn) FinishLogin(t *tenant.Tenant, origin string, u *User, session json.RawMessage, parsed *protocol.ParsedCredentialAssertionData, now time.Time) (Assertion, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return Assertion{}, err
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(session, &sd); err != nil {
		return Assertion{}, fmt.Errorf("webauthn session: %w", err)
	}
	// A credential the user does not have (deleted, or never known here)
	// is told apart from a failed check, so that the page can ask the
	// browser to forget it (signalUnknownCredential, L3 §5.1.10).
	if !slices.ContainsFunc(u.Credentials, func(c account.Credential) bool { return bytes.Equal(c.ID, parsed.RawID) }) {
		return Assertion{}, ErrUnknownPasskey
	}
	var cred *webauthn.Credential
	if len(sd.UserID) == 0 {
		_, cred, err = rp.ValidatePasskeyLogin(func(rawID, handle []byte) (webauthn.User, error) {
			if !bytes.Equal(handle, u.Handle) {
				return nil, ErrUnknownPasskey
			}
			return libUser{u}, nil
		}, sd, parsed)
	} else {
		cred, err = rp.ValidateLogin(libUser{u}, sd, parsed)
	}
	if err != nil {
		return Assertion{}, fmt.Errorf("%w: %w", ErrWebAuthnFailed, err)
	}
	i := slices.IndexFunc(u.Credentials, func(c account.Credential) bool { return bytes.Equal(c.ID, cred.ID) })
	if i < 0 {
		return Assertion{}, ErrUnknownPasskey
	}
	stored := u.Credentials[i]
	// W3C WebAuthn L3 §7.2 step 22: a counter that is non-zero on either
	// side must increase, or the authenticator may have been cloned.
	got := parsed.Response.AuthenticatorData.Counter
	if (got != 0 || stored.SignCount != 0) && got <= stored.SignCount {
		return Assertion{}, ErrCloneSuspected
	}
	stored.SignCount = got
	stored.BackupState = parsed.Response.AuthenticatorData.Flags.HasBackupState()
	stored.LastUsedAt = now.UTC()
	return Assertion{
		Credential: stored, UserHandle: parsed.Response.UserHandle,
		UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
	}, nil
}

// normalizeType accepts Logto's front end, which sends type "WebAuthn",
// by treating it as "public-key" before the library parses the JSON.
func normalizeType(b []byte) []byte {
	if !bytes.Contains(b, []byte(`"WebAuthn"`)) {
		return b
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	if strings.TrimSpace(string(m["type"])) == `"WebAuthn"` {
		m["type"] = json.RawMessage(`"public-key"`)
		if out, err := json.Marshal(m); err == nil {
			return out
		}
	}
	return b
}
