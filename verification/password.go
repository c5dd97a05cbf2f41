package verification

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ccojocar/zxcvbn-go"
	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Argon2Params are argon2id cost parameters. They are stored in every hash
// (PHC string format), so they can be raised later without breaking old
// hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// OWASPParams is OWASP's Password Storage Cheat Sheet choice for argon2id:
// m=19 MiB, t=2, p=1.
var OWASPParams = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

var (
	// ErrPasswordMismatch: the password does not match the hash.
	ErrPasswordMismatch = errors.New("verification: password mismatch")
	// ErrBusy: too many hashes are running; the caller's deadline passed
	// while waiting for a slot.
	ErrBusy = errors.New("verification: password hashing is saturated")
)

// Hasher hashes and checks passwords behind a concurrency limit, so that a
// flood of sign-ins costs at most `slots` cores of argon2 and never starves
// every other request.
type Hasher struct {
	params Argon2Params
	slots  chan struct{}
	dummy  string
}

// NewHasher returns a Hasher that runs at most slots hashes at once.
func NewHasher(p Argon2Params, slots int) *Hasher {
	h := &Hasher{params: p, slots: make(chan struct{}, max(slots, 1))}
	h.dummy = h.hash([]byte("foyer-dummy-password-for-timing"))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// NormalizePassword is the form of a password that is hashed and checked:
// Unicode NFC (NIST SP 800-63B §5.1.1.2), so that "é" typed as one code
// point or as "e" and a combining accent is the same password. ASCII is
// unchanged.
func NormalizePassword(password string) string {
	return norm.NFC.String(password)
}

// Hash returns the PHC string of password (in NFC).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash([]byte(NormalizePassword(password))), nil
}

func (h *Hasher) hash(pw []byte) string {
	p := h.params
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// Verify checks password (in NFC) against a PHC hash. An empty hash (unknown user, or
// a user without a password) is checked against a dummy hash, so that the
// answer takes the same time either way and reveals nothing.
func (h *Hasher) Verify(ctx context.Context, hash, password string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	known := hash != ""
	if !known {
		hash = h.dummy
	}
	ok, err := verifyPHC(hash, []byte(NormalizePassword(password)))
	if err != nil {
		return err
	}
	if !ok || !known {
		return ErrPasswordMismatch
	}
	return nil
}

func verifyPHC(phc string, pw []byte) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("verification: not an argon2id PHC string")
	}
	var version int
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("verification: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errors.New("verification: bad argon2 parameters")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errors.New("verification: bad argon2 salt or key")
	}
	got := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Password length bounds, counted in characters (OWASP ASVS 2.1.1, 2.1.2).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

// PasswordIssue says which rule a new password breaks.
type PasswordIssue struct {
	Code  string `json:"code"`
	Param int    `json:"param,omitempty"`
}

// IssueInvalidEncoding: the password is not valid UTF-8 (or, in JSON, held
// a lone surrogate escape).
const IssueInvalidEncoding = "password_rejected.invalid_encoding"

// CheckPassword applies the policy to a new password: valid UTF-8, its
// length in NFC, and a zxcvbn strength score of at least minScore, counting
// what the user has already told us (username, email) as guessable.
func CheckPassword(password string, minScore int, userInputs ...string) []PasswordIssue {
	if !utf8.ValidString(password) {
		return []PasswordIssue{{Code: IssueInvalidEncoding}}
	}
	password = NormalizePassword(password)
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return []PasswordIssue{{Code: "password_rejected.too_short", Param: MinPasswordLen}}
	case n > MaxPasswordLen:
		return []PasswordIssue{{Code: "password_rejected.too_long", Param: MaxPasswordLen}}
	}
	if minScore > 0 {
		inputs := make([]string, 0, len(userInputs))
		for _, in := range userInputs {
			if in != "" {
				inputs = append(inputs, in)
			}
		}
		if s := zxcvbn.PasswordStrength(password, inputs).Score; s < minScore {
			return []PasswordIssue{{Code: "password_rejected.too_guessable", Param: minScore}}
		}
	}
	return nil
}
