package verification

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"
	json "github.com/goccy/go-json"
)

// A ceremony's session is the library's SessionData as the library
// encodes it, but for one member: instead of the user's handle (up to 64
// bytes, 88 in base64, stored with every interaction that has a pending
// ceremony, and already stored on the user and on the interaction's
// subject) it holds a digest of the handle, "holder". The finish takes the
// handle of the user it verifies for, checks that the digest is the one
// the ceremony was begun for, and puts the handle back, so that the
// library's own check (the session's user is the user verified) sees what
// it saw when sessions carried the handle. A session without a holder (a
// discoverable login, or one stored before holders) is the library's own.

// holderLen is the length of a holder: 16 bytes of SHA-256, base64url.
// 128 bits: a user's handle cannot be matched by chance or by search.
const holderLen = 22

// appendHolder appends the holder of handle.
func appendHolder(b, handle []byte) []byte {
	sum := sha256.Sum256(handle)
	return base64.RawURLEncoding.AppendEncode(b, sum[:16])
}

// errOtherHolder: the ceremony was begun for another user (the
// interaction's user changed since, or a login names someone else).
var errOtherHolder = errors.New("the ceremony was begun for another user")

// storedSession is a session as a ceremony keeps it.
type storedSession struct {
	webauthn.SessionData
	Holder string `json:"holder"`
}

// openSession decodes a ceremony's session for the user the finish
// verifies for (nil when it does not know one yet). A session that names
// a holder is for that user only: anyone else's finish fails, as the
// library fails a session whose user is not the user verified.
func openSession(raw json.RawMessage, u *User) (webauthn.SessionData, error) {
	var s storedSession
	if err := json.Unmarshal(raw, &s); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("webauthn session: %w", err)
	}
	if s.Holder == "" {
		return s.SessionData, nil
	}
	var h [holderLen]byte
	if u == nil || string(appendHolder(h[:0], u.Handle)) != s.Holder {
		return webauthn.SessionData{}, fmt.Errorf("%w: %w", ErrWebAuthnFailed, errOtherHolder)
	}
	s.UserID = u.Handle
	return s.SessionData, nil
}
