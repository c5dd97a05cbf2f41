package authenticator

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
)

// Errors standing in for the DOMExceptions a browser would raise.
var (
	// ErrExcludedCredential: excludeCredentials names a credential this
	// authenticator holds for the RP (InvalidStateError, L3 §6.3.2 step 3).
	ErrExcludedCredential = errors.New("authenticator: an excluded credential is present (InvalidStateError)")
	// ErrUnsupportedAlgorithm: no pubKeyCredParams entry is supported
	// (NotSupportedError, L3 §6.3.2 step 2).
	ErrUnsupportedAlgorithm = errors.New("authenticator: no supported algorithm (NotSupportedError)")
	// ErrNoCredential: no credential matches the request (NotAllowedError,
	// L3 §6.3.3 step 6).
	ErrNoCredential = errors.New("authenticator: no matching credential (NotAllowedError)")
)

// Authenticator is a virtual authenticator holding the credentials it
// created. Configure it with [New] and options, or by setting the exported
// fields before a ceremony.
type Authenticator struct {
	AAGUID [16]byte // written into attested credential data; zero by default
	UP     bool     // set the UP flag (user present); default true
	// UV sets the UV flag (user verified); default true. With UV false the
	// flag is left clear even when the RP requires user verification.
	UV             bool
	BackupEligible bool     // set the BE flag
	BackupState    bool     // set the BS flag (not checked against BE)
	Transports     []string // response.transports; default ["usb"]
	// Attachment is authenticatorAttachment: "cross-platform" (default) or
	// "platform".
	Attachment string
	// AttestationFormat is "none" (default, L3 §8.7) or "packed" for
	// self attestation (L3 §8.2). The conveyance preference is ignored.
	AttestationFormat string
	// RPIDOverride, when set, is hashed into rpIdHash instead of the RP ID
	// from the options. Credentials are still stored and looked up under the
	// RP ID from the options.
	RPIDOverride string
	// Type is the credential's "type" member; default "public-key".
	Type string
	// CredentialID, when set, is the id of new credentials (see
	// WithCredentialID).
	CredentialID []byte
	// Algorithms, when set, are the only COSE algorithms it creates keys
	// for (see WithAlgorithms).
	Algorithms []int

	mu    sync.Mutex
	creds []*Credential
}

// Option configures an Authenticator in [New].
type Option func(*Authenticator)

// WithAAGUID sets the AAGUID reported at registration.
func WithAAGUID(aaguid [16]byte) Option { return func(a *Authenticator) { a.AAGUID = aaguid } }

// WithUV sets whether the UV flag is reported.
func WithUV(uv bool) Option { return func(a *Authenticator) { a.UV = uv } }

// WithUP sets whether the UP flag is reported.
func WithUP(up bool) Option { return func(a *Authenticator) { a.UP = up } }

// WithBackup sets the BE and BS flags, as a synced passkey reports them.
func WithBackup(eligible, state bool) Option {
	return func(a *Authenticator) { a.BackupEligible, a.BackupState = eligible, state }
}

// WithTransports sets the transports reported at registration.
func WithTransports(transports ...string) Option {
	return func(a *Authenticator) { a.Transports = transports }
}

// WithAttachment sets authenticatorAttachment ("platform" or "cross-platform").
func WithAttachment(attachment string) Option {
	return func(a *Authenticator) { a.Attachment = attachment }
}

// WithPackedAttestation makes registrations carry "packed" self attestation.
func WithPackedAttestation() Option { return func(a *Authenticator) { a.AttestationFormat = "packed" } }

// WithRPIDOverride signs for rpID instead of the RP ID in the options.
func WithRPIDOverride(rpID string) Option { return func(a *Authenticator) { a.RPIDOverride = rpID } }

// WithType sets the credential "type" member, e.g. "WebAuthn".
func WithType(typ string) Option { return func(a *Authenticator) { a.Type = typ } }

// WithCredentialID makes the next credentials use id instead of a random
// one, as a faulty or malicious authenticator might: for testing that a
// relying party refuses a credential id it already knows.
func WithCredentialID(id []byte) Option { return func(a *Authenticator) { a.CredentialID = id } }

// WithAlgorithms limits the algorithms of new credentials to algs, as a
// platform passkey provider that offers only ES256 does: it then skips the
// other entries of pubKeyCredParams.
func WithAlgorithms(algs ...int) Option {
	return func(a *Authenticator) { a.Algorithms = slices.Clone(algs) }
}

// New returns an Authenticator that reports user presence and verification,
// is cross-platform over USB and uses "none" attestation.
func New(opts ...Option) *Authenticator {
	a := &Authenticator{UP: true, UV: true, Transports: []string{"usb"},
		Attachment: "cross-platform", AttestationFormat: "none", Type: "public-key"}
	for _, opt := range opts {
		opt(a)
	}
	return a
}

// Credential is a public key credential source (L3 §6.4) held by an
// Authenticator.
type Credential struct {
	ID           []byte
	Alg          int // COSE algorithm: AlgES256, AlgEdDSA or AlgRS256
	RPID         string
	UserHandle   []byte
	Discoverable bool // client-side discoverable (resident) credential
	// SignCount is the counter value of the last signature. Login increments
	// it before signing; assign it to replay or roll back the counter.
	SignCount uint32

	key crypto.Signer
}

// PublicKey returns the credential's public key.
func (c *Credential) PublicKey() crypto.PublicKey { return c.key.Public() }

// PKCS8 returns the credential's private key in PKCS #8 form, e.g. to hand
// the same credential to a browser's virtual authenticator.
func (c *Credential) PKCS8() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(c.key) }

// Credentials returns the credentials this authenticator holds, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.creds)
}

// descriptor is PublicKeyCredentialDescriptorJSON, L3 §5.10.3.
type descriptor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// creationOptions is the part of PublicKeyCredentialCreationOptionsJSON
// (L3 §5.4) the authenticator acts on.
type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Challenge        string `json:"challenge"`
	PubKeyCredParams []struct {
		Type string `json:"type"`
		Alg  int    `json:"alg"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials     []descriptor `json:"excludeCredentials"`
	AuthenticatorSelection struct {
		ResidentKey        string `json:"residentKey"`
		RequireResidentKey bool   `json:"requireResidentKey"`
	} `json:"authenticatorSelection"`
	Extensions struct {
		CredProps bool `json:"credProps"`
	} `json:"extensions"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptionsJSON
// (L3 §5.5) the authenticator acts on.
type requestOptions struct {
	Challenge        string       `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

// decodeOptions unmarshals options JSON into v, unwrapping a
// {"publicKey": {...}} CredentialCreationOptions / CredentialRequestOptions
// envelope if the server sent one.
func decodeOptions(data []byte, v any) error {
	var env struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("authenticator: options: %w", err)
	}
	if len(env.PublicKey) > 0 {
		data = env.PublicKey
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("authenticator: options: %w", err)
	}
	return nil
}

// effectiveRPID is rpID, or else the origin's effective domain, the default
// RP ID of L3 §5.1.3 step 8 and §5.1.4.1 step 8.
func effectiveRPID(rpID, origin string) (string, error) {
	if rpID != "" {
		return rpID, nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("authenticator: no RP ID and no host in origin %q", origin)
	}
	return u.Hostname(), nil
}

// collect serializes the client data (L3 §5.8.1) and returns it with its
// SHA-256 hash.
func collect(typ, challenge, origin string) (cdj []byte, hash [32]byte, err error) {
	raw, err := decodeB64("challenge", challenge)
	if err != nil {
		return nil, hash, err
	}
	if len(raw) == 0 {
		return nil, hash, errors.New("authenticator: options: challenge is required")
	}
	cdj, err = json.Marshal(clientData{Type: typ, Challenge: b64.EncodeToString(raw), Origin: origin})
	return cdj, sha256.Sum256(cdj), err
}

// flags returns the UP, UV, BE and BS bits configured on a.
func (a *Authenticator) flags() byte {
	var f byte
	for _, b := range []struct {
		on  bool
		bit byte
	}{{a.UP, flagUP}, {a.UV, flagUV}, {a.BackupEligible, flagBE}, {a.BackupState, flagBS}} {
		if b.on {
			f |= b.bit
		}
	}
	return f
}

// signedRPID is the RP ID hashed into authenticator data.
func (a *Authenticator) signedRPID(rpID string) string {
	if a.RPIDOverride != "" {
		return a.RPIDOverride
	}
	return rpID
}

// Register answers navigator.credentials.create() for the
// PublicKeyCredentialCreationOptionsJSON in optionsJSON, collected at origin.
// It returns the new credential and the RegistrationResponseJSON (L3 §5.1.8)
// to send to the server.
//
// It picks the first supported algorithm (of [Authenticator.Algorithms],
// when set) in pubKeyCredParams order (ES256
// and RS256 are tried when the list is empty, L3 §5.1.3 step 10), creates a
// discoverable credential when residentKey is "required" or "preferred",
// and answers the credProps extension when requested (L3 §10.1.3).
func (a *Authenticator) Register(optionsJSON []byte, origin string) (*Credential, []byte, error) {
	var opts creationOptions
	if err := decodeOptions(optionsJSON, &opts); err != nil {
		return nil, nil, err
	}
	rpID, err := effectiveRPID(opts.RP.ID, origin)
	if err != nil {
		return nil, nil, err
	}
	userHandle, err := decodeB64("user.id", opts.User.ID)
	if err != nil {
		return nil, nil, err
	}
	cdj, cdHash, err := collect("webauthn.create", opts.Challenge, origin)
	if err != nil {
		return nil, nil, err
	}

	alg := 0
	for _, p := range opts.PubKeyCredParams {
		if p.Type == "public-key" && supported(p.Alg) && (a.Algorithms == nil || slices.Contains(a.Algorithms, p.Alg)) {
			alg = p.Alg
			break
		}
	}
	if len(opts.PubKeyCredParams) == 0 {
		alg = AlgES256
	}
	if alg == 0 {
		return nil, nil, ErrUnsupportedAlgorithm
	}

	a.mu.Lock()
	defer a.mu.Unlock()

	// L3 §6.3.2 step 3: refuse if an excluded credential is present here.
	for _, d := range opts.ExcludeCredentials {
		id, err := decodeB64("excludeCredentials.id", d.ID)
		if err != nil {
			return nil, nil, err
		}
		if a.find(rpID, id) != nil {
			return nil, nil, ErrExcludedCredential
		}
	}

	key, err := newKey(alg)
	if err != nil {
		return nil, nil, err
	}
	cred := &Credential{ID: make([]byte, 32), Alg: alg, RPID: rpID, UserHandle: userHandle, key: key}
	if _, err := rand.Read(cred.ID); err != nil {
		return nil, nil, err
	}
	if a.CredentialID != nil {
		cred.ID = slices.Clone(a.CredentialID)
	}
	sel := opts.AuthenticatorSelection
	cred.Discoverable = sel.ResidentKey == "required" || sel.ResidentKey == "preferred" ||
		(sel.ResidentKey == "" && sel.RequireResidentKey)

	cose, err := coseKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	ad := authData(a.signedRPID(rpID), a.flags(), cred.SignCount,
		attestedCredentialData(a.AAGUID, cred.ID, cose))

	// L3 §6.5.4: attestationObject = {"fmt", "attStmt", "authData"}.
	attStmt := map[string]any{}
	if a.AttestationFormat == "packed" {
		// L3 §8.2 self attestation: sig over authData || clientDataHash
		// with the credential private key, no x5c.
		sig, err := sign(key, slices.Concat(ad, cdHash[:]))
		if err != nil {
			return nil, nil, err
		}
		attStmt = map[string]any{"alg": alg, "sig": sig}
	} else if a.AttestationFormat != "none" {
		return nil, nil, fmt.Errorf("authenticator: unsupported attestation format %q", a.AttestationFormat)
	}
	attObj, err := ctap2.Marshal(map[string]any{"fmt": a.AttestationFormat, "attStmt": attStmt, "authData": ad})
	if err != nil {
		return nil, nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}

	ext := map[string]any{}
	if opts.Extensions.CredProps {
		ext["credProps"] = map[string]bool{"rk": cred.Discoverable}
	}
	transports := a.Transports
	if transports == nil {
		transports = []string{}
	}
	// RegistrationResponseJSON and AuthenticatorAttestationResponseJSON,
	// L3 §5.1.8 / §5.2.1.
	resp, err := json.Marshal(map[string]any{
		"id":    b64.EncodeToString(cred.ID),
		"rawId": b64.EncodeToString(cred.ID),
		"type":  a.Type,
		"response": map[string]any{
			"clientDataJSON":     b64.EncodeToString(cdj),
			"authenticatorData":  b64.EncodeToString(ad),
			"transports":         transports,
			"publicKey":          b64.EncodeToString(spki),
			"publicKeyAlgorithm": alg,
			"attestationObject":  b64.EncodeToString(attObj),
		},
		"authenticatorAttachment": a.Attachment,
		"clientExtensionResults":  ext,
	})
	if err != nil {
		return nil, nil, err
	}
	a.creds = append(a.creds, cred)
	return cred, resp, nil
}

// Login answers navigator.credentials.get() for the
// PublicKeyCredentialRequestOptionsJSON in optionsJSON, collected at origin,
// and returns the AuthenticationResponseJSON (L3 §5.1.8).
//
// With allowCredentials it uses a listed credential it holds for the RP ID;
// without, the most recently created discoverable credential for the RP ID.
// It increments that credential's SignCount, signs, and includes userHandle
// when the credential is discoverable.
func (a *Authenticator) Login(optionsJSON []byte, origin string) ([]byte, error) {
	var opts requestOptions
	if err := decodeOptions(optionsJSON, &opts); err != nil {
		return nil, err
	}
	rpID, err := effectiveRPID(opts.RPID, origin)
	if err != nil {
		return nil, err
	}
	cdj, cdHash, err := collect("webauthn.get", opts.Challenge, origin)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()

	// L3 §6.3.3 step 3-6: select a credential.
	var cred *Credential
	for _, d := range opts.AllowCredentials {
		id, err := decodeB64("allowCredentials.id", d.ID)
		if err != nil {
			return nil, err
		}
		if c := a.find(rpID, id); c != nil && d.Type == "public-key" {
			cred = c
			break
		}
	}
	if len(opts.AllowCredentials) == 0 {
		for _, c := range slices.Backward(a.creds) {
			if c.RPID == rpID && c.Discoverable {
				cred = c
				break
			}
		}
	}
	if cred == nil {
		return nil, ErrNoCredential
	}

	// L3 §6.3.3 steps 9-11: bump the counter, build authenticator data
	// without attested credential data, sign authData || clientDataHash.
	cred.SignCount++
	ad := authData(a.signedRPID(rpID), a.flags(), cred.SignCount, nil)
	sig, err := sign(cred.key, slices.Concat(ad, cdHash[:]))
	if err != nil {
		return nil, err
	}

	response := map[string]any{
		"clientDataJSON":    b64.EncodeToString(cdj),
		"authenticatorData": b64.EncodeToString(ad),
		"signature":         b64.EncodeToString(sig),
	}
	if cred.Discoverable {
		response["userHandle"] = b64.EncodeToString(cred.UserHandle)
	}
	// AuthenticationResponseJSON, L3 §5.1.8 / §5.2.2.
	return json.Marshal(map[string]any{
		"id":                      b64.EncodeToString(cred.ID),
		"rawId":                   b64.EncodeToString(cred.ID),
		"type":                    a.Type,
		"response":                response,
		"authenticatorAttachment": a.Attachment,
		"clientExtensionResults":  map[string]any{},
	})
}

// find returns the credential with id scoped to rpID, or nil. a.mu is held.
func (a *Authenticator) find(rpID string, id []byte) *Credential {
	for _, c := range a.creds {
		if c.RPID == rpID && bytes.Equal(c.ID, id) {
			return c
		}
	}
	return nil
}
