package verification

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Backup codes are one-time recovery codes shown once at enrolment.
//
// Each code is 10 characters drawn uniformly from Crockford's base32
// alphabet (https://www.crockford.com/base32.html, lower-cased), which has
// no i, l, o or u, so nothing reads as 1 or 0: 10 × log2(32) = 50 bits of
// entropy per code. Online guessing is bounded by the attempt limits; 50
// bits is what makes offline guessing against a stolen hash hopeless (see
// backupCodeParams).
const (
	BackupCodeCount = 10
	backupCodeLen   = 10 // characters, 5 bits each
	// backupAlphabet has 32 symbols, so a random byte & 31 picks one with
	// no modulo bias.
	backupAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

// ErrBackupCodeInvalid: the code matches none of the user's unused codes.
var ErrBackupCodeInvalid = errors.New("verification: invalid backup code")

// NewBackupCodes returns BackupCodeCount distinct codes of 50 random bits
// each, formatted "xxxxx-xxxxx" for reading and typing. Store only their
// hashes (HashBackupCodes) and show the codes once.
func NewBackupCodes() []string {
	codes := make([]string, 0, BackupCodeCount)
	seen := make(map[string]bool, BackupCodeCount)
	for len(codes) < BackupCodeCount {
		var b [backupCodeLen]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
		for i := range b {
			b[i] = backupAlphabet[b[i]&31]
		}
		code := string(b[:5]) + "-" + string(b[5:])
		// Two equal codes among ten happen with probability 45 / 2^50, but
		// a duplicate would make a match index ambiguous; it costs nothing
		// to rule it out.
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes
}

// NormalizeBackupCode turns what a user typed into the canonical form:
// lower case, without spaces or dashes, with the look-alikes Crockford
// decodes mapped to their digits (i and l to 1, o to 0). The result is not
// checked; one that is not a well-formed code simply matches nothing.
func NormalizeBackupCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r = unicode.ToLower(r); {
		case r == '-' || unicode.IsSpace(r):
			return -1
		case r == 'i' || r == 'l':
			return '1'
		case r == 'o':
			return '0'
		default:
			return r
		}
	}, s)
}

// validBackupCode reports whether a normalised code can be one we issued.
func validBackupCode(code string) bool {
	if len(code) != backupCodeLen {
		return false
	}
	for i := range len(code) {
		if strings.IndexByte(backupAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// backupCodeParams are the argon2id costs for backup codes: the Hasher's
// memory but a single pass (OWASP's password choice is m=19 MiB, t=2).
//
// Password parameters are sized for secrets with perhaps 20-30 bits of
// entropy. A backup code has 50: guessing one from a stolen hash takes 2^49
// argon2id runs on average, which at m=19 MiB, t=1 (some 20 ms on a core)
// is some 350,000 core-years, and the memory cost keeps GPUs from cutting
// that much. Halving the time matters because a check runs up to one
// argon2id per unused code, so it halves the CPU an attacker can make us
// spend per guess. The PHC string records the parameters, so they can change
// later without breaking stored hashes.
func (h *Hasher) backupCodeParams() Argon2Params {
	p := h.params
	p.Time = 1
	return p
}

// hashWith hashes pw under params p. It borrows password.go's encoder
// (Hasher.hash reads nothing but params) so that one function writes the
// PHC format.
func hashWith(p Argon2Params, pw []byte) string {
	return (&Hasher{params: p}).hash(pw)
}

// HashBackupCodes returns the argon2id PHC hashes of the normalised codes,
// in order. Each hash takes a slot of the Hasher's concurrency limit, one
// after the other, so a binding never holds more than one core and other
// sign-ins can interleave. Ten codes take about ten argon2id runs (~0.2-0.5 s
// with OWASP memory): fine once at enrolment, not on a hot path.
func (h *Hasher) HashBackupCodes(ctx context.Context, codes []string) ([]string, error) {
	p := h.backupCodeParams()
	hashes := make([]string, 0, len(codes))
	for i, c := range codes {
		n := NormalizeBackupCode(c)
		if !validBackupCode(n) {
			return nil, fmt.Errorf("verification: backup code %d is not one from NewBackupCodes", i)
		}
		if err := h.acquire(ctx); err != nil {
			return nil, err
		}
		hashes = append(hashes, hashWith(p, []byte(n)))
		h.release()
	}
	return hashes, nil
}

// MatchBackupCode checks code against the user's unused backup-code hashes
// and returns the index of the one it matches; the caller must then delete
// that hash, so each code works once. It returns -1 and ErrBackupCodeInvalid
// when none matches, and ErrBusy when the caller's deadline passes while waiting
// for a hashing slot.
//
// A code that cannot be one we issued is refused before any hashing: it
// tells an attacker only what they typed, and spares the CPU.
//
// Work per hash is the same and a wrong code is checked against every hash.
// The loop stops at the first match, which is safe: the time saved reveals
// which code matched only to someone who has just proved they hold it. The
// time of a failure does grow with the number of unused codes; that count
// is not worth hiding behind dummy hashes.
func (h *Hasher) MatchBackupCode(ctx context.Context, hashes []string, code string) (index int, err error) {
	n := NormalizeBackupCode(code)
	if !validBackupCode(n) {
		return -1, ErrBackupCodeInvalid
	}
	var firstErr error
	for i, hash := range hashes {
		ok, err := h.matchOne(ctx, hash, []byte(n))
		switch {
		case ok:
			return i, nil
		case errors.Is(err, ErrBusy):
			return -1, err
		case err != nil && firstErr == nil:
			// A corrupt stored hash must not lock the user out of the
			// others: note it, go on, and report it only if nothing matches.
			firstErr = fmt.Errorf("verification: backup code hash %d: %w", i, err)
		}
	}
	if firstErr != nil {
		return -1, firstErr
	}
	return -1, ErrBackupCodeInvalid
}

// matchOne checks one hash under a slot of the concurrency limit, taken per
// hash so that a ten-hash check never holds a core for long.
func (h *Hasher) matchOne(ctx context.Context, hash string, code []byte) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return verifyPHC(hash, code)
}
