package verification

import (
	"crypto/rand"
	"encoding/base64"
)

// NewToken returns 128 random bits, base64url-encoded.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
