package authenticator

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/stretchr/testify/require"
)

const (
	rpID   = "localhost"
	origin = "http://localhost:3001"
)

// user is a minimal webauthn.User that keeps its credential records.
type user struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.id }
func (u *user) WebAuthnName() string                       { return "alice" }
func (u *user) WebAuthnDisplayName() string                { return "Alice" }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// update replaces the stored record of c, as an RP does after a login.
func (u *user) update(c *webauthn.Credential) {
	for i := range u.creds {
		if bytes.Equal(u.creds[i].ID, c.ID) {
			u.creds[i] = *c
		}
	}
}

func newRP(t *testing.T) *webauthn.WebAuthn {
	t.Helper()
	wa, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "x", RPOrigins: []string{origin}})
	require.NoError(t, err)
	return wa
}

func newUser() *user { return &user{id: []byte("user-handle-0123456789")} }

// register runs a full registration ceremony and returns the RP's error.
func register(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user, opts ...webauthn.RegistrationOption) (*Credential, *webauthn.Credential, error) {
	t.Helper()
	creation, session, err := wa.BeginRegistration(u, opts...)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(creation.Response)
	require.NoError(t, err)
	cred, resp, err := a.Register(optionsJSON, origin)
	require.NoError(t, err)
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	require.NoError(t, err)
	rec, err := wa.CreateCredential(u, *session, parsed)
	if err == nil {
		u.creds = append(u.creds, *rec)
	}
	return cred, rec, err
}

// login runs a full login ceremony for u and returns the RP's result.
func login(t *testing.T, wa *webauthn.WebAuthn, a *Authenticator, u *user, originUsed string, opts ...webauthn.LoginOption) (*webauthn.Credential, error) {
	t.Helper()
	assertion, session, err := wa.BeginLogin(u, opts...)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(assertion.Response)
	require.NoError(t, err)
	resp, err := a.Login(optionsJSON, originUsed)
	require.NoError(t, err)
	parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
	require.NoError(t, err)
	rec, err := wa.ValidateLogin(u, *session, parsed)
	if err == nil {
		u.update(rec)
	}
	return rec, err
}

// requireRefused asserts err is go-webauthn's verification refusing the
// response for the reason why (matched in its details or developer info).
func requireRefused(t *testing.T, err error, why string) {
	t.Helper()
	var perr *protocol.Error
	require.ErrorAs(t, err, &perr)
	require.Contains(t, perr.Details+": "+perr.DevInfo, why)
}

func withAlg(alg int) webauthn.RegistrationOption {
	return webauthn.WithCredentialParameters([]protocol.CredentialParameter{
		{Type: protocol.PublicKeyCredentialType, Algorithm: -36}, // ES512: unsupported, skipped
		{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(alg)},
	})
}

func TestRegisterAndLoginEachAlgorithm(t *testing.T) {
	for _, alg := range []int{AlgES256, AlgEdDSA, AlgRS256} {
		t.Run(webauthncose.COSEAlgorithmIdentifier(alg).String(), func(t *testing.T) {
			wa, a, u := newRP(t), New(), newUser()
			cred, rec, err := register(t, wa, a, u, withAlg(alg))
			require.NoError(t, err)
			require.Equal(t, alg, cred.Alg)
			require.Equal(t, rpID, cred.RPID)
			require.Equal(t, cred.ID, rec.ID)
			require.Equal(t, "none", rec.AttestationFormat)
			require.True(t, rec.Flags.UserVerified)
			require.Equal(t, []protocol.AuthenticatorTransport{protocol.USB}, rec.Transport)

			for want := uint32(1); want <= 2; want++ {
				rec, err = login(t, wa, a, u, origin, webauthn.WithUserVerification(protocol.VerificationRequired))
				require.NoError(t, err)
				require.Equal(t, want, rec.Authenticator.SignCount)
				require.False(t, rec.Authenticator.CloneWarning)
			}
			require.Equal(t, uint32(2), cred.SignCount)
		})
	}
}

func TestDiscoverableLogin(t *testing.T) {
	wa, a, u := newRP(t), New(WithBackup(true, true)), newUser()
	_, rec, err := register(t, wa, a, u, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	require.NoError(t, err)
	require.True(t, rec.Flags.BackupEligible)

	assertion, session, err := wa.BeginDiscoverableLogin()
	require.NoError(t, err)
	require.Empty(t, assertion.Response.AllowedCredentials)
	optionsJSON, err := json.Marshal(assertion.Response)
	require.NoError(t, err)
	resp, err := a.Login(optionsJSON, origin)
	require.NoError(t, err)
	parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
	require.NoError(t, err)
	require.Equal(t, u.id, []byte(parsed.Response.UserHandle))

	found, cred, err := wa.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		if !bytes.Equal(userHandle, u.id) {
			return nil, errors.New("unknown user")
		}
		return u, nil
	}, *session, parsed)
	require.NoError(t, err)
	require.Equal(t, u, found)
	require.Equal(t, uint32(1), cred.Authenticator.SignCount)
}

func TestCredPropsAndResidentKey(t *testing.T) {
	wa := newRP(t)
	for rk, want := range map[protocol.ResidentKeyRequirement]bool{
		protocol.ResidentKeyRequirementRequired:    true,
		protocol.ResidentKeyRequirementPreferred:   true,
		protocol.ResidentKeyRequirementDiscouraged: false,
	} {
		creation, _, err := wa.BeginRegistration(newUser(), webauthn.WithResidentKeyRequirement(rk),
			webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
		require.NoError(t, err)
		optionsJSON, err := json.Marshal(creation.Response)
		require.NoError(t, err)
		cred, resp, err := New().Register(optionsJSON, origin)
		require.NoError(t, err)
		require.Equal(t, want, cred.Discoverable, rk)
		var got struct {
			ClientExtensionResults struct {
				CredProps struct{ RK bool } `json:"credProps"`
			} `json:"clientExtensionResults"`
		}
		require.NoError(t, json.Unmarshal(resp, &got))
		require.Equal(t, want, got.ClientExtensionResults.CredProps.RK, rk)
	}
}

func TestPackedSelfAttestation(t *testing.T) {
	for _, alg := range []int{AlgES256, AlgEdDSA, AlgRS256} {
		wa, a, u := newRP(t), New(WithPackedAttestation()), newUser()
		_, rec, err := register(t, wa, a, u, withAlg(alg),
			webauthn.WithConveyancePreference(protocol.PreferDirectAttestation))
		require.NoError(t, err, alg)
		require.Equal(t, "packed", rec.AttestationFormat)
		_, err = login(t, wa, a, u, origin)
		require.NoError(t, err, alg)
	}
}

// TestByteLayout checks the encodings against the spec byte by byte.
func TestByteLayout(t *testing.T) {
	aaguid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	wa, a, u := newRP(t), New(WithAAGUID(aaguid)), newUser()
	creation, _, err := wa.BeginRegistration(u, withAlg(AlgEdDSA))
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(creation.Response)
	require.NoError(t, err)
	cred, resp, err := a.Register(optionsJSON, origin)
	require.NoError(t, err)

	var r struct {
		Response struct {
			ClientDataJSON    string `json:"clientDataJSON"`
			AttestationObject string `json:"attestationObject"`
		} `json:"response"`
	}
	require.NoError(t, json.Unmarshal(resp, &r))
	cdj, err := b64.DecodeString(r.Response.ClientDataJSON)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"webauthn.create","challenge":"`+b64.EncodeToString(creation.Response.Challenge)+
		`","origin":"`+origin+`","crossOrigin":false}`, string(cdj))

	attObj, err := b64.DecodeString(r.Response.AttestationObject)
	require.NoError(t, err)
	// CTAP2 canonical: a3 | "fmt" "none" | "attStmt" {} | "authData" bytes.
	require.True(t, bytes.HasPrefix(attObj, []byte("\xa3\x63fmt\x64none\x67attStmt\xa0\x68authData\x58"))) // bstr, 1-byte length
	var obj struct {
		AuthData []byte `cbor:"authData"`
	}
	require.NoError(t, cbor.Unmarshal(attObj, &obj))
	ad := obj.AuthData
	require.Equal(t, byte(flagUP|flagUV|flagAT), ad[32])
	require.Equal(t, uint32(0), binary.BigEndian.Uint32(ad[33:37]))
	require.Equal(t, aaguid[:], ad[37:53])
	require.Equal(t, uint16(len(cred.ID)), binary.BigEndian.Uint16(ad[53:55]))
	require.Equal(t, cred.ID, ad[55:55+len(cred.ID)])
	// OKP: a4 | 01 01 | 03 27 | 20 06 | 21 58 20 x(32)
	cose := ad[55+len(cred.ID):]
	require.Equal(t, []byte{0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20}, cose[:10])
	require.Len(t, cose, 42)
}

func TestExcludedCredentialRefused(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser()
	_, _, err := register(t, wa, a, u)
	require.NoError(t, err)
	creation, _, err := wa.BeginRegistration(u, webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(creation.Response)
	require.NoError(t, err)
	_, _, err = a.Register(optionsJSON, origin)
	require.ErrorIs(t, err, ErrExcludedCredential)
	// Another authenticator does not hold the excluded credential.
	_, _, err = New().Register(optionsJSON, origin)
	require.NoError(t, err)
}

func TestWrongOriginRefused(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser()
	creation, session, err := wa.BeginRegistration(u)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(creation.Response)
	require.NoError(t, err)
	_, resp, err := a.Register(optionsJSON, "http://evil.example:3001")
	require.NoError(t, err)
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	require.NoError(t, err)
	_, err = wa.CreateCredential(u, *session, parsed)
	requireRefused(t, err, "validating origin")

	_, _, err = register(t, wa, a, u)
	require.NoError(t, err)
	_, err = login(t, wa, a, u, "http://evil.example:3001")
	requireRefused(t, err, "validating origin")
}

func TestRPIDOverrideRefused(t *testing.T) {
	wa, u := newRP(t), newUser()
	_, _, err := register(t, wa, New(WithRPIDOverride("evil.example")), u)
	requireRefused(t, err, "RP Hash mismatch")

	a := New()
	_, _, err = register(t, wa, a, u)
	require.NoError(t, err)
	a.RPIDOverride = "evil.example"
	_, err = login(t, wa, a, u, origin)
	requireRefused(t, err, "RP Hash mismatch")
	a.RPIDOverride = ""
	_, err = login(t, wa, a, u, origin)
	require.NoError(t, err)
}

func TestMissingUVRefusedWhenRequired(t *testing.T) {
	wa, a, u := newRP(t), New(WithUV(false)), newUser()
	_, _, err := register(t, wa, a, u, webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
		UserVerification: protocol.VerificationRequired}))
	requireRefused(t, err, "User verification required")

	_, _, err = register(t, wa, a, u) // default "preferred": accepted without UV
	require.NoError(t, err)
	_, err = login(t, wa, a, u, origin, webauthn.WithUserVerification(protocol.VerificationRequired))
	requireRefused(t, err, "User verification required")
	_, err = login(t, wa, a, u, origin, webauthn.WithUserVerification(protocol.VerificationDiscouraged))
	require.NoError(t, err)
}

func TestCounterRollbackFlagsClone(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser()
	cred, _, err := register(t, wa, a, u)
	require.NoError(t, err)
	_, err = login(t, wa, a, u, origin)
	require.NoError(t, err)
	cred.SignCount = 0 // the next assertion carries 1 again
	rec, err := login(t, wa, a, u, origin)
	require.NoError(t, err) // go-webauthn flags rather than refuses
	require.True(t, rec.Authenticator.CloneWarning)
}

func TestTypeOverride(t *testing.T) {
	wa, a, u := newRP(t), New(), newUser()
	_, _, err := register(t, wa, a, u)
	require.NoError(t, err)
	a.Type = "WebAuthn"
	assertion, _, err := wa.BeginLogin(u)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(assertion)
	require.NoError(t, err) // the {"publicKey": ...} envelope is accepted too
	resp, err := a.Login(optionsJSON, origin)
	require.NoError(t, err)
	var got struct{ Type string }
	require.NoError(t, json.Unmarshal(resp, &got))
	require.Equal(t, "WebAuthn", got.Type)
	_, err = protocol.ParseCredentialRequestResponseBytes(resp)
	requireRefused(t, err, "bad type") // go-webauthn insists on "public-key"
}

func TestUnsupportedAndUnknown(t *testing.T) {
	a := New()
	_, _, err := a.Register([]byte(`{"rp":{"id":"localhost"},"user":{"id":"dQ"},"challenge":"Y2hhbGxlbmdlY2hhbGxlbmdl",
		"pubKeyCredParams":[{"type":"public-key","alg":-36}]}`), origin)
	require.ErrorIs(t, err, ErrUnsupportedAlgorithm)
	_, err = a.Login([]byte(`{"challenge":"Y2hhbGxlbmdlY2hhbGxlbmdl","rpId":"localhost"}`), origin)
	require.ErrorIs(t, err, ErrNoCredential)
}

func TestAlgorithmsLimitTheChoice(t *testing.T) {
	params := webauthn.WithCredentialParameters([]protocol.CredentialParameter{
		{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
		{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
	})
	wa, u := newRP(t), newUser()
	cred, _, err := register(t, wa, New(), u, params)
	require.NoError(t, err)
	require.Equal(t, AlgEdDSA, cred.Alg, "the first the RP lists")
	cred, _, err = register(t, wa, New(WithAlgorithms(AlgES256)), u, params)
	require.NoError(t, err)
	require.Equal(t, AlgES256, cred.Alg, "the first the RP lists and the authenticator offers")

	creation, _, err := wa.BeginRegistration(u, params)
	require.NoError(t, err)
	optionsJSON, err := json.Marshal(creation.Response)
	require.NoError(t, err)
	_, _, err = New(WithAlgorithms(AlgRS256)).Register(optionsJSON, origin)
	require.ErrorIs(t, err, ErrUnsupportedAlgorithm)
}
