package interaction

import (
	"context"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/verification"
)

// Limits bound failed attempts and new interactions (ARCHITECTURE §9).
// Every address is the client's own (FOYER_TRUSTED_PROXIES), an IPv6
// address counted by its /64.
type Limits struct {
	// PerIdentifier bounds failed passwords for one identifier from one
	// address, and for one account from one address whichever of its
	// identifiers is typed.
	PerIdentifier verification.Limit
	// PerAccount bounds failed passwords for one account from every
	// address together: guessing from many addresses.
	PerAccount verification.Limit
	// PerIP bounds failed passwords from one address, whatever the
	// identifier: spraying one password over many accounts.
	PerIP verification.Limit
	// StartsPerIP bounds the interactions one address creates.
	StartsPerIP verification.Limit
}

// DefaultLimits: 5 failed passwords per identifier (and per account) per
// address per 15 minutes; 30 per account from all addresses, so that
// locking one account out takes six addresses, and guessing stays far
// below NIST SP 800-63B's 100 failures; 50 per address, enough for an
// office behind one NAT. 60 new interactions per address a minute: one
// sign-in needs one, and a flood from one client stops at 60 a minute
// (about 2 MB of Redis an hour at the largest interaction).
var DefaultLimits = Limits{
	PerIdentifier: verification.Limit{N: 5, Window: 15 * time.Minute},
	PerAccount:    verification.Limit{N: 30, Window: 15 * time.Minute},
	PerIP:         verification.Limit{N: 50, Window: 15 * time.Minute},
	StartsPerIP:   verification.Limit{N: 60, Window: time.Minute},
}

// passwordBuckets are the buckets a password attempt counts in.
//
// Two are visible, keyed only on what the client sent and where from: its
// address, and the identifier it typed at that address. A full one answers
// 429 with Retry-After. Two are quiet, keyed on the subject: the account
// when the identifier names one, else the identifier itself, so that an
// unknown identifier is counted exactly like an account with one
// identifier. Counting per account means an account's username, email and
// phone share their tries; but a 429 from it would tell that two
// identifiers belong to one account (fill it with the username, then try
// an email), so a full quiet bucket answers like a wrong password, after
// the same hashing work.
func (s *Service) passwordBuckets(r Request, kind, value string, u *account.User) []verification.Bucket {
	addr := verification.AddressKey(r.IP)
	subject := "id\x00" + kind + "\x00" + value
	if u != nil {
		subject = "user\x00" + u.ID
	}
	return []verification.Bucket{
		{Scope: "pw-ip", Value: addr, Limit: s.Limits.PerIP},
		{Scope: "pw-id-ip", Value: kind + "\x00" + value + "\x00" + addr, Limit: s.Limits.PerIdentifier},
		{Scope: "pw-sub-ip", Value: subject + "\x00" + addr, Limit: s.Limits.PerIdentifier, Quiet: true},
		{Scope: "pw-sub", Value: subject, Limit: s.Limits.PerAccount, Quiet: true},
	}
}

// admitStart counts a new interaction against the client's address, in
// every tenant together: they share one Redis.
func (s *Service) admitStart(ctx context.Context, r Request) error {
	_, err := s.Limiter.Hit(ctx, "",
		verification.Bucket{Scope: "ix-new", Value: verification.AddressKey(r.IP), Limit: s.Limits.StartsPerIP})
	return limitErr(err, httpx.ErrTooMany)
}
