package authenticator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// COSE algorithm identifiers (IANA COSE Algorithms registry) this
// authenticator supports.
const (
	AlgES256 = -7   // ECDSA P-256 with SHA-256, RFC 9053 §2.1
	AlgEdDSA = -8   // EdDSA, here always Ed25519, RFC 9053 §2.2
	AlgRS256 = -257 // RSASSA-PKCS1-v1_5 with SHA-256, RFC 8812 §2
)

// Authenticator data flags, W3C WebAuthn L3 §6.1.
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagBE = 0x08 // backup eligible
	flagBS = 0x10 // backup state
	flagAT = 0x40 // attested credential data included; ED (0x80) is never set
)

// ctap2 encodes CBOR the way CTAP 2.1 §8 "CTAP2 canonical CBOR encoding form"
// requires: shortest integer and length forms, definite lengths, no tags, and
// map keys sorted length-first then bytewise.
var ctap2 = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// supported reports whether alg is one this authenticator can generate.
func supported(alg int) bool {
	return alg == AlgES256 || alg == AlgEdDSA || alg == AlgRS256
}

// newKey generates a fresh credential key pair for alg.
func newKey(alg int) (crypto.Signer, error) {
	switch alg {
	case AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case AlgRS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("%w: %d", ErrUnsupportedAlgorithm, alg)
}

// coseKey encodes pub as a COSE_Key (RFC 9052 §7) with the parameters
// WebAuthn L3 §6.5.1.1 requires: kty, alg and the key-type parameters.
func coseKey(pub crypto.PublicKey) ([]byte, error) {
	var m map[int]any
	switch k := pub.(type) {
	case *ecdsa.PublicKey: // EC2, RFC 9053 §7.1.1: {1:2, 3:-7, -1:crv P-256, -2:x, -3:y}
		ecdh, err := k.ECDH()
		if err != nil {
			return nil, err
		}
		point := ecdh.Bytes() // 0x04 | x(32) | y(32), SEC 1 §2.3.3
		m = map[int]any{1: 2, 3: AlgES256, -1: 1, -2: point[1:33], -3: point[33:65]}
	case ed25519.PublicKey: // OKP, RFC 9053 §7.2: {1:1, 3:-8, -1:crv Ed25519, -2:x}
		m = map[int]any{1: 1, 3: AlgEdDSA, -1: 6, -2: []byte(k)}
	case *rsa.PublicKey: // RSA, RFC 8230 §4: {1:3, 3:-257, -1:n, -2:e}, unsigned big-endian
		m = map[int]any{1: 3, 3: AlgRS256, -1: k.N.Bytes(), -2: big.NewInt(int64(k.E)).Bytes()}
	default:
		return nil, fmt.Errorf("authenticator: unsupported public key %T", pub)
	}
	return ctap2.Marshal(m)
}

// sign produces the signature over msg that alg prescribes: ASN.1 DER ECDSA
// over SHA-256 (WebAuthn L3 §6.5.5), raw Ed25519 over the message itself (no
// prehash, RFC 8032 §5.1.6) or PKCS #1 v1.5 over SHA-256.
func sign(key crypto.Signer, msg []byte) ([]byte, error) {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	digest := sha256.Sum256(msg)
	return key.Sign(rand.Reader, digest[:], crypto.SHA256)
}

// authData assembles authenticator data, WebAuthn L3 §6.1:
// rpIdHash(32) | flags(1) | signCount(4, big-endian) | attestedCredentialData.
// attested is the attested credential data (§6.5.1) or nil for assertions.
func authData(rpID string, flags byte, signCount uint32, attested []byte) []byte {
	rpIDHash := sha256.Sum256([]byte(rpID))
	out := make([]byte, 0, 37+len(attested))
	out = append(out, rpIDHash[:]...)
	if attested != nil {
		flags |= flagAT
	}
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, signCount)
	return append(out, attested...)
}

// attestedCredentialData is aaguid(16) | credentialIdLength(2, big-endian) |
// credentialId | credentialPublicKey (COSE_Key), WebAuthn L3 §6.5.1.
func attestedCredentialData(aaguid [16]byte, credID, cose []byte) []byte {
	out := make([]byte, 0, 18+len(credID)+len(cose))
	out = append(out, aaguid[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(credID)))
	out = append(out, credID...)
	return append(out, cose...)
}

// clientData is CollectedClientData, WebAuthn L3 §5.8.1. Field order matches
// the serialization a browser produces (§5.8.1.1).
type clientData struct {
	Type        string `json:"type"`
	Challenge   string `json:"challenge"`
	Origin      string `json:"origin"`
	CrossOrigin bool   `json:"crossOrigin"`
}

var b64 = base64.RawURLEncoding

// decodeB64 decodes a base64url value from options JSON, tolerating padding
// the way the JSON parsing helpers of L3 §5.1.9 / §5.1.10 do.
func decodeB64(field, s string) ([]byte, error) {
	b, err := b64.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("authenticator: %s is not base64url: %w", field, err)
	}
	return b, nil
}
