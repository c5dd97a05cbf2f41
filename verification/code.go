package verification

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// One-time code defaults: a code lives 10 minutes and allows 5 wrong tries,
// after which the user must ask for a new one. Callers pass both explicitly,
// so a tenant setting can override them.
const (
	DefaultCodeTTL      = 10 * time.Minute
	DefaultCodeMaxTries = 5
	codeDigits          = 6
)

// codeSpace is 10^codeDigits, the number of distinct codes.
var codeSpace = big.NewInt(1_000_000)

var (
	// ErrCodeNotFound: no code was sent to this channel and recipient for
	// this purpose (the user changed the address after asking for a code, or
	// the code was sent for another purpose). Logto answers
	// verification_code.email_mismatch or phone_mismatch here.
	ErrCodeNotFound = errors.New("verification: no code for this recipient and purpose")
	// ErrCodeExpired: the code outlived its TTL; the user must ask again.
	ErrCodeExpired = errors.New("verification: code expired")
	// ErrCodeTooManyTries: the code has been guessed at too often and is
	// dead, even if the next guess would be right.
	ErrCodeTooManyTries = errors.New("verification: too many wrong codes")
	// ErrCodeMismatch: a wrong (or malformed) code; one try is used up.
	ErrCodeMismatch = errors.New("verification: wrong code")
)

// Target is what a code is sent for: a channel, a recipient on it, and the
// purpose the code may be used for (the interaction event it was sent in).
// A code proves nothing for another target: a code sent to sign up does not
// sign in, and one sent to reset a password does neither.
type Target struct {
	Channel   string // "email" or "phone"
	Recipient string // normalised address or phone number
	Purpose   string // "SignIn", "Register" or "ForgotPassword"
}

// Code is a one-time code sent by email or SMS, as kept inside the
// interaction document. It holds a keyed hash, never the code itself.
type Code struct {
	Channel   string    `json:"channel"`   // "email" or "phone"
	Recipient string    `json:"recipient"` // normalised address or phone number
	Purpose   string    `json:"purpose"`   // what the code may be used for
	Hash      string    `json:"hash"`      // hex HMAC-SHA256, see codeHash
	ExpiresAt time.Time `json:"expiresAt"`
	Tries     int       `json:"tries"` // wrong codes entered so far
}

func (c *Code) target() Target {
	return Target{Channel: c.Channel, Recipient: c.Recipient, Purpose: c.Purpose}
}

// NewCode draws a 6-digit code for to and returns the state to keep (valid
// until now+ttl) and the plaintext code to send. key is the server secret
// (FOYER_SECRET_KEY); it must not be empty.
func NewCode(to Target, now time.Time, ttl time.Duration, key []byte) (Code, string) {
	mustKey(key)
	// rand.Int draws by rejection sampling, so every code in [0, 10^6) is
	// equally likely; a byte taken modulo 10 would favour low digits.
	n, err := rand.Int(rand.Reader, codeSpace)
	if err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ crashes
		// the program itself rather than return an error).
		panic(fmt.Sprintf("verification: crypto/rand: %v", err))
	}
	code := fmt.Sprintf("%0*d", codeDigits, n.Int64())
	return Code{
		Channel:   to.Channel,
		Recipient: to.Recipient,
		Purpose:   to.Purpose,
		Hash:      codeHash(key, to, code),
		ExpiresAt: now.Add(ttl),
	}, code
}

// Check verifies code for to at time now. It answers ErrCodeNotFound when
// the code was sent elsewhere or for another purpose, ErrCodeExpired,
// ErrCodeTooManyTries once maxTries wrong codes were entered (whatever this
// one is), and ErrCodeMismatch for a wrong or malformed code, which counts a
// try: the caller must store c again after every call. On success it changes
// nothing; the caller deletes the code so that it cannot be used twice.
func (c *Code) Check(to Target, code string, now time.Time, maxTries int, key []byte) error {
	mustKey(key)
	switch {
	case c.target() != to:
		return ErrCodeNotFound
	case !now.Before(c.ExpiresAt):
		return ErrCodeExpired
	case c.Tries >= maxTries:
		return ErrCodeTooManyTries
	}
	want, err := hex.DecodeString(c.Hash)
	if err != nil || !validCode(code) {
		c.Tries++
		return ErrCodeMismatch
	}
	got, _ := hex.DecodeString(codeHash(key, to, code))
	// hmac.Equal runs in constant time, so response times do not tell how
	// many leading bytes of the hash a guess got right.
	if !hmac.Equal(got, want) {
		c.Tries++
		return ErrCodeMismatch
	}
	return nil
}

// codeHash is hex(HMAC-SHA256(key, channel|purpose|recipient|code)).
//
// Why keyed: there are only 10^6 codes, so a plain hash found in a leaked
// Redis dump (or a backup) gives the code back after a million SHA-256
// calls, well under a second. With the server key mixed in, that search
// needs the key, which lives in the process environment and not in Redis.
// Channel, purpose and recipient are in the input so that the same code
// sent to two people, or for two purposes, hashes differently, and a hash
// copied to another interaction or relabelled with another purpose is
// worthless. The input cannot be ambiguous: channel and purpose hold no '|'
// and the code is always the last 6 bytes.
func codeHash(key []byte, to Target, code string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(to.Channel + "|" + to.Purpose + "|" + to.Recipient + "|" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// validCode reports whether s is exactly 6 ASCII digits (no spaces, no
// Unicode digits, no sign), the only form NewCode sends.
func validCode(s string) bool {
	if len(s) != codeDigits {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mustKey panics on an empty key: without it the hash is only as strong as
// the 10^6 code space, and start-up is where a missing key must be caught.
func mustKey(key []byte) {
	if len(key) == 0 {
		panic("verification: one-time codes need a server key")
	}
}
