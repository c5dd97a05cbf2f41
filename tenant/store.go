package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

var (
	ErrNotFound    = errors.New("tenant: not found")
	ErrTaken       = errors.New("tenant: slug or host already taken")
	ErrUnavailable = errors.New("tenant: storage unavailable")
	// ErrConflict: the tenant changed since it was read (a concurrent
	// update, or an If-Match naming an older version).
	ErrConflict = errors.New("tenant: changed concurrently")
)

// Store keeps tenants in Redis.
type Store struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewStore returns a Store.
func NewStore(rdb redis.UniversalClient, now func() time.Time) *Store {
	return &Store{rdb: rdb, now: now}
}

func docKey(id string) string    { return "foyer:t:{" + id + "}:tenant" }
func hostKey(host string) string { return "foyer:host:" + host }
func slugKey(slug string) string { return "foyer:slug:" + slug }
func (s *Store) listKey() string { return "foyer:tenants" }
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// Create stores a new tenant. Slug and hosts are claimed create-if-absent;
// they live in other cluster slots than the tenant, so a failed claim rolls
// back the ones already made.
func (s *Store) Create(ctx context.Context, t Tenant) (*Tenant, error) {
	t.ID = uuid.NewString()
	t.CreatedAt = s.now().UTC()
	t.UpdatedAt = t.CreatedAt
	// The document is written before its slug and hosts are claimed, so
	// that a lookup which finds a claim always finds the tenant too (a
	// replica making the demo tenant at the same time as another found the
	// slug taken and then no tenant behind it). Until claimed, nothing
	// points at it; a failed claim deletes it again.
	if err := s.put(ctx, &t); err != nil {
		return nil, err
	}
	claimed := []string{docKey(t.ID)}
	release := func() { _ = s.delEach(context.WithoutCancel(ctx), claimed) }
	for _, k := range append([]string{slugKey(t.Slug)}, hostKeys(t.Hosts)...) {
		ok, err := s.rdb.SetNX(ctx, k, t.ID, 0).Result()
		if err != nil {
			release()
			return nil, wrap("claim", err)
		}
		if !ok {
			release()
			return nil, ErrTaken
		}
		claimed = append(claimed, k)
	}
	return &t, wrap("list", s.rdb.SAdd(ctx, s.listKey(), t.ID).Err())
}

func hostKeys(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = hostKey(h)
	}
	return out
}

func (s *Store) put(ctx context.Context, t *Tenant) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return wrap("put", s.rdb.Set(ctx, docKey(t.ID), b, 0).Err())
}

// Get reads a tenant by id.
func (s *Store) Get(ctx context.Context, id string) (*Tenant, error) {
	t, _, err := s.getRaw(ctx, id)
	return t, err
}

// getRaw reads a tenant and the stored bytes it came from.
func (s *Store) getRaw(ctx context.Context, id string) (*Tenant, []byte, error) {
	if uuid.Validate(id) != nil {
		return nil, nil, ErrNotFound
	}
	b, err := s.rdb.Get(ctx, docKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, wrap("get", err)
	}
	// Start from the defaults so that settings added since the tenant was
	// stored get their default values.
	t := Tenant{Settings: DefaultSettings()}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, nil, fmt.Errorf("tenant %s: corrupt document: %w", id, err)
	}
	return &t, b, nil
}

// ETag names the version of t (its last update), for If-Match.
func ETag(t *Tenant) string {
	return `"` + strconv.FormatInt(t.UpdatedAt.UnixNano(), 36) + `"`
}

// ByHost resolves a normalised host to its tenant.
func (s *Store) ByHost(ctx context.Context, host string) (*Tenant, error) {
	return s.byIndex(ctx, hostKey(host))
}

// BySlug resolves a slug to its tenant.
func (s *Store) BySlug(ctx context.Context, slug string) (*Tenant, error) {
	return s.byIndex(ctx, slugKey(slug))
}

func (s *Store) byIndex(ctx context.Context, key string) (*Tenant, error) {
	id, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrap("resolve", err)
	}
	return s.Get(ctx, id)
}

// List returns every tenant, ordered by creation.
func (s *Store) List(ctx context.Context) ([]*Tenant, error) {
	ids, err := s.rdb.SMembers(ctx, s.listKey()).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	out := make([]*Tenant, 0, len(ids))
	for _, id := range ids {
		t, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// casScript stores ARGV[2] only if the document is still ARGV[1].
var casScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`)

// Update applies fn to a tenant and stores it by compare-and-swap: if the
// tenant changed since it was read, nothing is written and the answer is ErrConflict, never
// a lost write. Hosts added by fn are claimed create-if-absent; hosts it
// removes are released once the change is stored.
func (s *Store) Update(ctx context.Context, id string, fn func(t *Tenant) error) (*Tenant, error) {
	return s.UpdateIf(ctx, id, "", fn)
}

// UpdateIf is Update that also refuses, with ErrConflict, a tenant whose
// ETag is not ifMatch ("" or "*" accept any).
func (s *Store) UpdateIf(ctx context.Context, id, ifMatch string, fn func(t *Tenant) error) (*Tenant, error) {
	t, raw, err := s.getRaw(ctx, id)
	if err != nil {
		return nil, err
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != ETag(t) {
		return nil, ErrConflict
	}
	oldHosts := append([]string(nil), t.Hosts...)
	if err := fn(t); err != nil {
		return nil, err
	}
	added, removed := diff(oldHosts, t.Hosts), diff(t.Hosts, oldHosts)
	claimed := []string{}
	release := func() {
		if len(claimed) > 0 {
			_ = s.delEach(context.WithoutCancel(ctx), claimed)
		}
	}
	for _, h := range added {
		ok, err := s.rdb.SetNX(ctx, hostKey(h), id, 0).Result()
		if err != nil || !ok {
			release()
			if err != nil {
				return nil, wrap("claim", err)
			}
			return nil, ErrTaken
		}
		claimed = append(claimed, hostKey(h))
	}
	t.UpdatedAt = s.now().UTC()
	b, err := json.Marshal(t)
	if err != nil {
		release()
		return nil, err
	}
	swapped, err := casScript.Run(ctx, s.rdb, []string{docKey(id)}, raw, b).Int()
	if err != nil || swapped == 0 {
		release()
		if err != nil {
			return nil, wrap("put", err)
		}
		return nil, ErrConflict
	}
	if len(removed) > 0 {
		if err := s.delEach(ctx, hostKeys(removed)); err != nil {
			return nil, wrap("release", err)
		}
	}
	return t, nil
}

// diff returns the elements of b that are not in a.
func diff(a, b []string) []string {
	seen := make(map[string]bool, len(a))
	for _, x := range a {
		seen[x] = true
	}
	var out []string
	for _, x := range b {
		if !seen[x] {
			out = append(out, x)
		}
	}
	return out
}

// delEach deletes keys one command each, in one pipeline: the keys live in
// different cluster slots, where a multi-key DEL is refused (CROSSSLOT).
func (s *Store) delEach(ctx context.Context, keys []string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, k)
		}
		return nil
	})
	return err
}
