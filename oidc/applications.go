package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/internal/httpx"
)

var (
	// ErrAppNotFound: no application with that id in that tenant.
	ErrAppNotFound = errors.New("oidc: application not found")
	// ErrAppExists: the id is taken (only a chosen id, the demo's, can be).
	ErrAppExists = errors.New("oidc: application id taken")
	// ErrUnavailable: Redis did not answer.
	ErrUnavailable = errors.New("oidc: storage unavailable")
)

// prefix is the start of every key of tenant tid this package writes.
func prefix(tid string) string { return "foyer:t:{" + tid + "}:oidc:" }

func appKey(tid, id string) string { return prefix(tid) + "app:" + id }
func appsKey(tid string) string    { return prefix(tid) + "apps" }

func wrap(op string, err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// Applications keeps the OAuth clients of every tenant in Redis, with a
// short in-process cache for the token endpoint's lookups. Changes made
// through this process are seen at once; other replicas see them within
// the cache lifetime (a deleted app or a rotated secret keeps working there
// that long).
type Applications struct {
	rdb redis.UniversalClient
	now func() time.Time
	ttl time.Duration

	mu      sync.RWMutex
	apps    map[string]cachedApp     // tid/id
	origins map[string]cachedOrigins // tid
}

type cachedApp struct {
	app *Application // nil: known absent
	exp time.Time
}

type cachedOrigins struct {
	origins []string
	exp     time.Time
}

// maxCachedApps bounds the cache: client ids come from requests.
const maxCachedApps = 4096

// NewApplications returns the application store.
func NewApplications(rdb redis.UniversalClient, now func() time.Time, cacheTTL time.Duration) *Applications {
	return &Applications{rdb: rdb, now: now, ttl: cacheTTL,
		apps: map[string]cachedApp{}, origins: map[string]cachedOrigins{}}
}

// Create stores a new application of tenant tid. A web or m2m app gets a
// secret, returned once in the view and kept only as a hash. id "" draws a
// random client id.
func (s *Applications) Create(ctx context.Context, tid, id string, in ApplicationInput) (ApplicationView, error) {
	now := s.now().UTC()
	a := &Application{
		ID: id, TenantID: tid, Name: in.Name, Type: in.Type,
		RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		CORSOrigins: in.CORSOrigins, Scopes: in.Scopes, SigningAlg: in.SigningAlg,
		CreatedAt: now, UpdatedAt: now,
	}
	if a.ID == "" {
		a.ID = newClientID()
	}
	if a.SigningAlg == "" {
		a.SigningAlg = AlgRS256
	}
	normalize(a)
	if err := a.validate(); err != nil {
		return ApplicationView{}, err
	}
	var secret string
	if a.Confidential() {
		secret, a.SecretHash = newSecret()
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return ApplicationView{}, err
	}
	var set *redis.BoolCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		set = p.SetNX(ctx, appKey(tid, a.ID), doc, 0)
		p.SAdd(ctx, appsKey(tid), a.ID)
		return nil
	})
	if err != nil {
		return ApplicationView{}, wrap("create application", err)
	}
	if !set.Val() {
		return ApplicationView{}, ErrAppExists
	}
	s.forget(tid, a.ID)
	v := a.View()
	v.Secret = secret
	return v, nil
}

// normalize makes absent lists empty, so that stored documents read back
// the same whatever the client sent.
func normalize(a *Application) {
	if a.RedirectURIs == nil {
		a.RedirectURIs = []string{}
	}
	if a.PostLogoutRedirectURIs == nil {
		a.PostLogoutRedirectURIs = []string{}
	}
	if a.Scopes == nil {
		a.Scopes = []string{}
	}
}

// Get reads an application of tenant tid from Redis.
func (s *Applications) Get(ctx context.Context, tid, id string) (*Application, error) {
	if id == "" || len(id) > 128 {
		return nil, ErrAppNotFound
	}
	b, err := s.rdb.Get(ctx, appKey(tid, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrAppNotFound
	}
	if err != nil {
		return nil, wrap("get application", err)
	}
	var a Application
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("oidc: corrupt application %s: %w", id, err)
	}
	if a.TenantID != tid { // a document copied across tenants is not theirs
		return nil, ErrAppNotFound
	}
	return &a, nil
}

// Lookup is Get through the in-process cache (the token endpoint's path).
func (s *Applications) Lookup(ctx context.Context, tid, id string) (*Application, error) {
	k := tid + "/" + id
	now := s.now()
	s.mu.RLock()
	c, ok := s.apps[k]
	s.mu.RUnlock()
	if ok && now.Before(c.exp) {
		if c.app == nil {
			return nil, ErrAppNotFound
		}
		return c.app, nil
	}
	a, err := s.Get(ctx, tid, id)
	if err != nil && !errors.Is(err, ErrAppNotFound) {
		return nil, err
	}
	ttl := s.ttl
	if a == nil {
		ttl = min(ttl, 2*time.Second) // a new application should work soon
	}
	s.mu.Lock()
	if len(s.apps) >= maxCachedApps {
		clear(s.apps)
	}
	s.apps[k] = cachedApp{app: a, exp: now.Add(ttl)}
	s.mu.Unlock()
	if a == nil {
		return nil, ErrAppNotFound
	}
	return a, nil
}

// List returns every application of tenant tid, oldest first.
func (s *Applications) List(ctx context.Context, tid string) ([]*Application, error) {
	ids, err := s.rdb.SMembers(ctx, appsKey(tid)).Result()
	if err != nil {
		return nil, wrap("list applications", err)
	}
	out := make([]*Application, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = appKey(tid, id)
	}
	// One MGET: every key shares the tenant's hash slot.
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, wrap("list applications", err)
	}
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var a Application
		if err := json.Unmarshal([]byte(str), &a); err != nil || a.TenantID != tid {
			continue
		}
		out = append(out, &a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// casApp replaces an application document only if it is unchanged.
var casApp = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`)

// update applies fn to the stored application with compare-and-swap.
func (s *Applications) update(ctx context.Context, tid, id string, fn func(a *Application) error) (*Application, error) {
	for range 5 {
		old, err := s.rdb.Get(ctx, appKey(tid, id)).Result()
		if errors.Is(err, redis.Nil) {
			return nil, ErrAppNotFound
		}
		if err != nil {
			return nil, wrap("update application", err)
		}
		var a Application
		if err := json.Unmarshal([]byte(old), &a); err != nil || a.TenantID != tid {
			return nil, ErrAppNotFound
		}
		if err := fn(&a); err != nil {
			return nil, err
		}
		a.UpdatedAt = s.now().UTC()
		doc, err := json.Marshal(&a)
		if err != nil {
			return nil, err
		}
		ok, err := casApp.Run(ctx, s.rdb, []string{appKey(tid, id)}, old, doc).Int()
		if err != nil {
			return nil, wrap("update application", err)
		}
		if ok == 1 {
			s.forget(tid, id)
			return &a, nil
		}
	}
	return nil, httpx.New(409, "application.conflict", "Too many concurrent changes to this application; please retry.")
}

// Update applies a patch and validates the result as a whole.
func (s *Applications) Update(ctx context.Context, tid, id string, p ApplicationPatch) (ApplicationView, error) {
	a, err := s.update(ctx, tid, id, func(a *Application) error {
		p.apply(a)
		normalize(a)
		return a.validate()
	})
	if err != nil {
		return ApplicationView{}, err
	}
	return a.View(), nil
}

// ErrNoSecret: a public application has no secret to rotate.
var ErrNoSecret = httpx.New(400, "application.no_secret", "Only web and m2m applications have a secret.")

// RotateSecret gives a confidential application a new secret, returned
// once; the old one stops working at once on this replica.
func (s *Applications) RotateSecret(ctx context.Context, tid, id string) (ApplicationView, error) {
	var secret string
	a, err := s.update(ctx, tid, id, func(a *Application) error {
		if !a.Confidential() {
			return ErrNoSecret
		}
		secret, a.SecretHash = newSecret()
		return nil
	})
	if err != nil {
		return ApplicationView{}, err
	}
	v := a.View()
	v.Secret = secret
	return v, nil
}

// Delete removes an application. Its refresh tokens stop working (the
// client is gone); its access tokens expire on their own.
func (s *Applications) Delete(ctx context.Context, tid, id string) error {
	var del *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		del = p.Del(ctx, appKey(tid, id))
		p.SRem(ctx, appsKey(tid), id)
		return nil
	})
	if err != nil {
		return wrap("delete application", err)
	}
	s.forget(tid, id)
	if del.Val() == 0 {
		return ErrAppNotFound
	}
	return nil
}

// Origins lists the browser origins any application of tenant tid allows
// (cached): a preflight does not say which client it is for.
func (s *Applications) Origins(ctx context.Context, tid string) ([]string, error) {
	now := s.now()
	s.mu.RLock()
	c, ok := s.origins[tid]
	s.mu.RUnlock()
	if ok && now.Before(c.exp) {
		return c.origins, nil
	}
	apps, err := s.List(ctx, tid)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range apps {
		for _, o := range a.EffectiveCORSOrigins() {
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	s.mu.Lock()
	if len(s.origins) >= maxCachedApps {
		clear(s.origins)
	}
	s.origins[tid] = cachedOrigins{origins: out, exp: now.Add(s.ttl)}
	s.mu.Unlock()
	return out, nil
}

func (s *Applications) forget(tid, id string) {
	s.mu.Lock()
	delete(s.apps, tid+"/"+id)
	delete(s.origins, tid)
	s.mu.Unlock()
}
