package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/verification"
)

// The events an endpoint may subscribe to (Logto's hook event names).
const (
	EventPostRegister      = "PostRegister"
	EventPostSignIn        = "PostSignIn"
	EventPostResetPassword = "PostResetPassword"
	EventMFAChanged        = "User.Mfa.Changed"
)

// Events lists every event, in a fixed order.
var Events = []string{EventPostRegister, EventPostSignIn, EventPostResetPassword, EventMFAChanged}

var (
	ErrNotFound    = errors.New("webhook: not found")
	ErrUnavailable = errors.New("webhook: storage unavailable")
	// ErrURL: an endpoint URL that is not absolute https (http only on a
	// loopback host), or carries credentials.
	ErrURL = errors.New("webhook: invalid url")
)

// Hook is one endpoint of a tenant.
type Hook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"createdAt"`
}

// stored is a Hook as kept in Redis: its secret sealed under the server key.
type stored struct {
	Hook
	Secret string `json:"secret"`
}

// Store keeps endpoints in a hash per tenant, foyer:t:{<tenant>}:hooks.
type Store struct {
	rdb redis.UniversalClient
	hot redis.Cmdable // reads: a batching face of rdb, shared with other commands
	box *verification.SecretBox
	now func() time.Time
}

// NewStore returns a Store sealing secrets with box. Its reads (one per
// event the dispatcher expands) go through hot, a batching face of rdb.
func NewStore(rdb redis.UniversalClient, hot redis.Cmdable, box *verification.SecretBox, now func() time.Time) *Store {
	return &Store{rdb: rdb, hot: hot, box: box, now: now}
}

func hooksKey(tid string) string { return "foyer:t:{" + tid + "}:hooks" }

// owner binds a sealed secret to its endpoint.
func owner(tid, hid string) []byte { return []byte("webhook/" + tid + "/" + hid) }

// CheckURL applies the rule for endpoint URLs when they are saved (the
// egress rule applies again when they are dialled).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%w: want an absolute URL without credentials", ErrURL)
	}
	switch host := u.Hostname(); {
	case u.Scheme == "https":
	case u.Scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1"):
	default:
		return fmt.Errorf("%w: want https (http only for localhost)", ErrURL)
	}
	return nil
}

// Create stores a new endpoint and returns it with its signing secret,
// which is shown this once.
func (s *Store) Create(ctx context.Context, tid, rawURL string, events []string) (Hook, string, error) {
	if err := CheckURL(rawURL); err != nil {
		return Hook{}, "", err
	}
	evs := slices.Clone(events)
	sort.Strings(evs)
	h := Hook{ID: uuid.NewString(), URL: rawURL, Events: slices.Compact(evs), CreatedAt: s.now().UTC()}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(raw)
	b, err := json.Marshal(stored{Hook: h, Secret: s.box.Seal([]byte(secret), owner(tid, h.ID))})
	if err != nil {
		return Hook{}, "", err
	}
	if err := s.rdb.HSet(ctx, hooksKey(tid), h.ID, b).Err(); err != nil {
		return Hook{}, "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return h, secret, nil
}

// List returns a tenant's endpoints, oldest first.
func (s *Store) List(ctx context.Context, tid string) ([]Hook, error) {
	all, err := s.all(ctx, tid)
	if err != nil {
		return nil, err
	}
	out := make([]Hook, 0, len(all))
	for _, h := range all {
		out = append(out, h.Hook)
	}
	return out, nil
}

func (s *Store) all(ctx context.Context, tid string) ([]stored, error) {
	m, err := s.hot.HGetAll(ctx, hooksKey(tid)).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	out := make([]stored, 0, len(m))
	for _, v := range m {
		var h stored
		if err := json.Unmarshal([]byte(v), &h); err != nil {
			return nil, fmt.Errorf("webhook: corrupt endpoint: %w", err)
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns one endpoint.
func (s *Store) Get(ctx context.Context, tid, hid string) (Hook, error) {
	h, err := s.get(ctx, tid, hid)
	return h.Hook, err
}

func (s *Store) get(ctx context.Context, tid, hid string) (stored, error) {
	if uuid.Validate(hid) != nil {
		return stored{}, ErrNotFound
	}
	v, err := s.hot.HGet(ctx, hooksKey(tid), hid).Result()
	if errors.Is(err, redis.Nil) {
		return stored{}, ErrNotFound
	}
	if err != nil {
		return stored{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var h stored
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return stored{}, fmt.Errorf("webhook: corrupt endpoint: %w", err)
	}
	return h, nil
}

// Delete removes an endpoint; deliveries still queued for it are dropped
// when their turn comes.
func (s *Store) Delete(ctx context.Context, tid, hid string) error {
	if uuid.Validate(hid) != nil {
		return ErrNotFound
	}
	n, err := s.rdb.HDel(ctx, hooksKey(tid), hid).Result()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// secret opens an endpoint's signing secret.
func (s *Store) secret(tid string, h stored) ([]byte, error) {
	return s.box.Open(h.Secret, owner(tid, h.ID))
}
