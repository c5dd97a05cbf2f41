package policy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/httpx"
)

// Actions Foyer authorizes.
const (
	ActionViewAccount            = "ViewAccount"
	ActionRegisterWebAuthn       = "RegisterWebAuthn"
	ActionRenameFactor           = "RenameFactor"
	ActionRemoveFactor           = "RemoveFactor"
	ActionRegisterTOTP           = "RegisterTOTP"
	ActionRegenerateBackupCodes  = "RegenerateBackupCodes"
	ActionChangePassword         = "ChangePassword"
	ActionEndSession             = "EndSession"
	ActionCreateToken            = "CreateToken"
	ActionRevokeToken            = "RevokeToken"
	ActionCreateRegistrationLink = "CreateRegistrationLink"
)

// MaxPolicies bounds one tenant's policy set.
const MaxPolicies = 100

var (
	// ErrDenied is the answer to a denied request; its copies carry the
	// determining policies' notices.
	ErrDenied = httpx.New(fiber.StatusForbidden, "policy.denied", "A policy of this tenant does not allow this.")
	// ErrUnavailable: Redis did not answer.
	ErrUnavailable = errors.New("policy: storage unavailable")
)

// ParseError says where a policy text does not parse.
type ParseError struct {
	Line, Column int
	Reason       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("policy: line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// TooManyError: more policies than MaxPolicies.
type TooManyError struct{ N int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("policy: %d policies, at most %d", e.N, MaxPolicies)
}

// cedar-go reports a position as "<input>:line:column" in its error text.
var positionRE = regexp.MustCompile(`<input>:(\d+):(\d+):?\s*(?:"[^"]*":\s*)?(.*)$`)

// Parse parses a tenant's policy text (empty is no policies).
func Parse(text string) (*cedar.PolicySet, error) {
	ps, err := cedar.NewPolicySetFromBytes("policies.cedar", []byte(text))
	if err != nil {
		pe := &ParseError{Line: 1, Column: 1, Reason: "syntax error"}
		if m := positionRE.FindStringSubmatch(err.Error()); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Column, _ = strconv.Atoi(m[2])
			if m[3] != "" {
				pe.Reason = m[3]
			}
		}
		return nil, pe
	}
	n := 0
	for range ps.All() {
		n++
	}
	if n > MaxPolicies {
		return nil, &TooManyError{N: n}
	}
	return ps, nil
}

// defaultPermit is Foyer's own rule: what Foyer offers is allowed unless a
// tenant policy forbids it.
var defaultPermit = func() *cedar.Policy {
	var p cedar.Policy
	if err := p.UnmarshalCedar([]byte(`permit (principal, action, resource);`)); err != nil {
		panic(err) // a constant: fails every test if wrong
	}
	return &p
}()

const defaultID = cedar.PolicyID("foyer.default")

// Store keeps tenants' policies and authorizes requests against them.
type Store struct {
	rdb redis.UniversalClient
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	cache map[string]cachedSet
}

type cachedSet struct {
	ps  *cedar.PolicySet
	exp time.Time
}

// maxCached bounds the cache (one entry per tenant in use).
const maxCached = 4096

// NewStore returns a Store whose parsed policies live in process for ttl:
// the time other replicas take to see a change.
func NewStore(rdb redis.UniversalClient, ttl time.Duration, now func() time.Time) *Store {
	return &Store{rdb: rdb, ttl: ttl, now: now, cache: make(map[string]cachedSet)}
}

func key(tid string) string { return "foyer:t:{" + tid + "}:policies" }

// Text returns tenant tid's policy text ("" for none).
func (s *Store) Text(ctx context.Context, tid string) (string, error) {
	text, err := s.rdb.Get(ctx, key(tid)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: read policies: %w", ErrUnavailable, err)
	}
	return text, nil
}

// Put parses text and, if it parses, makes it tenant tid's policies. It
// returns how many policies the text holds.
func (s *Store) Put(ctx context.Context, tid, text string) (int, error) {
	ps, err := Parse(text)
	if err != nil {
		return 0, err
	}
	if err := s.rdb.Set(ctx, key(tid), text, 0).Err(); err != nil {
		return 0, fmt.Errorf("%w: write policies: %w", ErrUnavailable, err)
	}
	s.mu.Lock()
	delete(s.cache, tid)
	s.mu.Unlock()
	n := 0
	for range ps.All() {
		n++
	}
	return n, nil
}

// set returns tenant tid's parsed policies with Foyer's default permit.
func (s *Store) set(ctx context.Context, tid string) (*cedar.PolicySet, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[tid]
	s.mu.Unlock()
	if ok && now.Before(c.exp) {
		return c.ps, nil
	}
	text, err := s.Text(ctx, tid)
	if err != nil {
		return nil, err
	}
	ps, err := Parse(text)
	if err != nil {
		// Put refuses what does not parse, so this is a text written by
		// another version; refusing every action is safer than ignoring
		// the tenant's rules.
		return nil, fmt.Errorf("policy: stored policies of tenant %s: %w", tid, err)
	}
	ps.Add(defaultID, defaultPermit)
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[tid] = cachedSet{ps: ps, exp: now.Add(s.ttl)}
	s.mu.Unlock()
	return ps, nil
}
