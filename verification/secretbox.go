package verification

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SecretKeySize is the size of a SecretBox key: AES-256.
const SecretKeySize = 32

// sealedPrefix names the format of a sealed secret, so that a later format
// (another cipher, or a key id for rotation) can be told apart from this one
// without guessing.
const sealedPrefix = "v1."

var (
	// ErrSecretKey: a key is not 32 bytes, or not base64 or hex. The message
	// never repeats the key.
	ErrSecretKey = errors.New("verification: secret key must be 32 bytes, base64 or hex encoded")
	// ErrSealed: a sealed secret is malformed, was sealed under another key or
	// for another owner, or was altered. GCM cannot tell these apart, and
	// callers must treat them alike.
	ErrSealed = errors.New("verification: sealed secret cannot be opened")
)

// SecretBox encrypts small secrets at rest (TOTP seeds) with AES-256-GCM
// (NIST SP 800-38D), so that a copy of the database alone does not reveal
// them. The additional data binds a sealed secret to its owner: callers pass
// tenantID+"/"+userID, and a ciphertext copied onto another account fails
// to open.
//
// Nonces are 96 random bits, so one key must seal fewer than 2^32 secrets
// (SP 800-38D §8.3); one seal per TOTP enrolment is far below that.
type SecretBox struct {
	aead cipher.AEAD
}

// NewSecretBox returns a SecretBox under a 32-byte key.
func NewSecretBox(key []byte) (*SecretBox, error) {
	if len(key) != SecretKeySize {
		return nil, ErrSecretKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("verification: secret box: %w", err)
	}
	// NewGCMWithRandomNonce draws each 12-byte nonce from crypto/rand and
	// prepends it to the ciphertext, so no caller can reuse a nonce by
	// mistake.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("verification: secret box: %w", err)
	}
	return &SecretBox{aead: aead}, nil
}

// ParseSecretKey decodes a 32-byte key written as hex or as base64 (standard
// or URL alphabet, padded or not), as it comes from configuration. Whitespace
// around it (a trailing newline in a key file) is ignored.
func ParseSecretKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	// Lengths cannot collide: 32 bytes are 64 hex digits but 43 or 44
	// base64 characters, so the first decoder that yields 32 bytes is right.
	if len(s) == hex.EncodedLen(SecretKeySize) {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == SecretKeySize {
			return key, nil
		}
	}
	return nil, ErrSecretKey
}

// Seal encrypts plaintext bound to additionalData and returns
// "v1." + base64url(nonce || ciphertext || tag). Each call draws a fresh
// nonce, so sealing the same secret twice gives different strings.
func (b *SecretBox) Seal(plaintext, additionalData []byte) string {
	out := b.aead.Seal(nil, nil, plaintext, additionalData)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open reverses Seal. It fails with ErrSealed unless sealed was made by Seal
// under the same key with the same additionalData, unaltered.
func (b *SecretBox) Open(sealed string, additionalData []byte) ([]byte, error) {
	body, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: unknown format", ErrSealed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: bad encoding", ErrSealed)
	}
	if len(raw) < b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrSealed)
	}
	plain, err := b.aead.Open(nil, nil, raw, additionalData)
	if err != nil {
		// Wrong key, wrong owner and tampering all end here: GCM's tag
		// check cannot say which, and a caller should not care.
		return nil, ErrSealed
	}
	return plain, nil
}
