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
	// ErrNoPasskey: a login for a user who has no WebAuthn credential, so
	// no authenticator could answer it.
	ErrNoPasskey = errors.New("verification: the user has no webauthn credential")
)

// WebAuthn runs WebAuthn ceremonies for every tenant on
// github.com/go-webauthn/webauthn, keeping one *webauthn.WebAuthn per
// tenant (and, in dev mode, per origin) built once and reused, and one
// template per kind of ceremony (template.go) that begins it without
// asking the library again.
type WebAuthn struct {
	mu    sync.Mutex
	cache map[string]*webauthn.WebAuthn

	tmu       sync.RWMutex
	templates map[string]*template
}

// NewWebAuthn returns an empty WebAuthn module.
func NewWebAuthn() *WebAuthn {
	return &WebAuthn{cache: make(map[string]*webauthn.WebAuthn), templates: make(map[string]*template)}
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
// library's SessionData, encoded as the library encodes it (but for the
// user's handle: see openSession) and decoded by the library at the
// finish, every member kept (the algorithm and extension checks depend on
// them). The session begins with the challenge, so it also identifies the
// ceremony: the write that consumes one can check it is still the current
// one by comparing sessions.
type Ceremony struct {
	Options json.RawMessage
	Session json.RawMessage
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
// every field present and reg's preferences applied, from the template of
// reg for the tenant and origin (the library begins the first one).
func (w *WebAuthn) BeginRegistration(t *tenant.Tenant, origin string, u *User, reg Registration) (Ceremony, error) {
	var kb [256]byte
	key := reg.appendKey(templateKey(kb[:0], t, origin, 'r'))
	tp, err := w.template(key, func() (*template, error) { return w.registrationTemplate(t, origin, reg) })
	if err != nil {
		return Ceremony{}, err
	}
	// The one check the library makes of the user (validateUserHandle).
	if n := len(u.Handle); n < protocol.MinimumUserHandleLength || n > protocol.MaximumUserHandleLength {
		return Ceremony{}, fmt.Errorf("begin registration: the user handle has %d bytes, not %d to %d",
			n, protocol.MinimumUserHandleLength, protocol.MaximumUserHandleLength)
	}
	return tp.begin(u)
}

// registrationOptions are the library's options for a registration of u
// under reg, begun from origin.
func registrationOptions(t *tenant.Tenant, origin string, u *User, reg Registration) (protocol.CredentialMediationRequirement, []webauthn.RegistrationOption) {
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
	return mediation, opts
}

func coseAlg(a int64) webauthncose.COSEAlgorithmIdentifier {
	return webauthncose.COSEAlgorithmIdentifier(a)
}

// FinishRegistration verifies an attestation response (the WebAuthn L3
// JSON a browser's toJSON() sends) against the ceremony's session data and
// returns the credential to store.
func (w *WebAuthn) FinishRegistration(t *tenant.Tenant, origin string, u *User, session json.RawMessage, response []byte) (account.Credential, error) {
	rp, err := w.rp(t, origin)
	if err != nil {
		return account.Credential{}, err
	}
	sd, err := openSession(session, u)
	if err != nil {
		return account.Credential{}, err
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
// It is a value, not a function of a config, so that applying it keeps the
// config on the stack.
type LoginOption struct {
	uv protocol.UserVerificationRequirement
}

// WithUserVerificationRequired asks for, and then demands, user
// verification (W3C WebAuthn L3 §5.8.6 "required") whatever the tenant
// prefers: for a second factor after a passkey identified the user, where
// only user verification adds a factor.
func WithUserVerificationRequired() LoginOption {
	return LoginOption{uv: protocol.VerificationRequired}
}

// BeginLogin builds request options: for u's credentials, or, with u nil,
// for a discoverable credential (passkey sign-in without an identifier).
// User verification follows the tenant's passkey settings unless an option
// says otherwise; "required" is enforced by FinishLogin (the library keeps
// it in the session data). A user without credentials is ErrNoPasskey.
func (w *WebAuthn) BeginLogin(t *tenant.Tenant, origin string, u *User, options ...LoginOption) (Ceremony, error) {
	uv := protocol.UserVerificationRequirement(t.Settings.Passkey.UserVerification)
	for _, o := range options {
		if o.uv != "" {
			uv = o.uv
		}
	}
	kind := byte('d')
	if u != nil {
		kind = 'u'
	}
	var kb [192]byte
	key := appendKeyString(templateKey(kb[:0], t, origin, kind), string(uv))
	tp, err := w.template(key, func() (*template, error) { return w.loginTemplate(t, origin, u != nil, uv) })
	if err != nil {
		return Ceremony{}, err
	}
	if u != nil && len(u.Credentials) == 0 {
		return Ceremony{}, ErrNoPasskey
	}
	return tp.begin(u)
}

// loginOptions are the library's options for a login begun from origin.
func loginOptions(t *tenant.Tenant, origin string, uv protocol.UserVerificationRequirement) []webauthn.LoginOption {
	opts := []webauthn.LoginOption{webauthn.WithUserVerification(uv)}
	if pinned(t, origin) {
		opts = append(opts, webauthn.WithLoginOrigin(origin))
	}
	return opts
}

// beginLogin begins a login with the library: for u, or, with u nil, for a
// discoverable credential.
func beginLogin(rp *webauthn.WebAuthn, u *User, opts ...webauthn.LoginOption) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	if u == nil {
		return rp.BeginDiscoverableLogin(opts...)
	}
	return rp.BeginLogin(libUser{u}, opts...)
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
	// A credential the user does not have (deleted, or never known here)
	// is told apart from a failed check, so that the page can ask the
	// browser to forget it (signalUnknownCredential, L3 §5.1.10).
	if !slices.ContainsFunc(u.Credentials, func(c account.Credential) bool { return bytes.Equal(c.ID, parsed.RawID) }) {
		return Assertion{}, ErrUnknownPasskey
	}
	sd, err := openSession(session, u)
	if err != nil {
		return Assertion{}, err
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
