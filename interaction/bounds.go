package interaction

import (
	"slices"

	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
)

// Bounds on what one interaction holds. Each lives in Redis for the
// interaction TTL, so no sequence of calls may grow one without end. A
// whole sign-in or sign-up stays far below each of them.
const (
	maxVerified           = 16 // distinct proofs: identifiers, codes, factors
	maxPendingCredentials = 5  // passkeys bound before submit
	maxBackupHashes       = 16 // NewBackupCodes offers 10
	// maxDocument bounds the encoded document: what the lists above leave
	// open (a user's credentials, a ceremony) cannot make it larger.
	maxDocument = 32 << 10
)

// ErrTooLarge refuses a change that would take an interaction over its
// bounds.
var ErrTooLarge = httpx.New(fiber.StatusConflict, "session.interaction_too_large",
	"This interaction holds too much; please start again.")

// encode is marshal for an interaction that keeps within its bounds. A
// proof recorded twice is kept once.
func encode(ix *Interaction) ([]byte, error) {
	ix.Verified = compactVerified(ix.Verified)
	if len(ix.Verified) > maxVerified || len(ix.PendingCredentials) > maxPendingCredentials ||
		len(ix.BackupHashes) > maxBackupHashes || len(ix.PendingBackupCodes) > maxBackupHashes {
		return nil, ErrTooLarge
	}
	data, err := marshal(ix)
	if err != nil {
		return nil, err
	}
	if len(data) > maxDocument {
		return nil, ErrTooLarge
	}
	return data, nil
}

// compactVerified drops repeated proofs, keeping the first of each, in
// order. Verified is read as a set (login methods, verified identifiers).
func compactVerified(vs []Verified) []Verified {
	out := vs[:0]
	for _, v := range vs {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
