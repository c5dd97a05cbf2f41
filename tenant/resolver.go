package tenant

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Resolver maps hosts to tenants through a short in-process cache, so that
// resolving a tenant costs no Redis round trip on the hot path. Admin changes
// made through this process are seen at once (Forget); other processes see
// them within the TTL.
type Resolver struct {
	store *Store
	ttl   time.Duration
	dev   bool
	now   func() time.Time

	mu    sync.RWMutex
	cache map[string]cached
}

type cached struct {
	t   *Tenant // nil: known not to exist
	exp time.Time
}

// maxCached bounds the cache: Host headers are client-chosen, and a flood of
// made-up hosts must not grow memory without limit.
const maxCached = 4096

// NewResolver returns a Resolver. In dev mode every tenant also accepts
// plain-http origins.
func NewResolver(store *Store, ttl time.Duration, dev bool, now func() time.Time) *Resolver {
	return &Resolver{store: store, ttl: ttl, dev: dev, now: now, cache: make(map[string]cached)}
}

// Resolve returns the tenant serving host (already normalised).
func (r *Resolver) Resolve(ctx context.Context, host string) (*Tenant, error) {
	now := r.now()
	r.mu.RLock()
	c, ok := r.cache[host]
	r.mu.RUnlock()
	if ok && now.Before(c.exp) {
		if c.t == nil {
			return nil, ErrNotFound
		}
		return c.t, nil
	}
	host = strings.Clone(host) // the caller's may be the request's own bytes
	t, err := r.store.ByHost(ctx, host)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if t != nil {
		t.Dev = r.dev
	}
	ttl := r.ttl
	if t == nil {
		ttl = min(ttl, 2*time.Second) // a new tenant's host should work soon
	}
	r.mu.Lock()
	if len(r.cache) >= maxCached {
		clear(r.cache)
	}
	r.cache[host] = cached{t: t, exp: now.Add(ttl)}
	r.mu.Unlock()
	if t == nil {
		return nil, ErrNotFound
	}
	return t, nil
}

// Forget drops cached entries so that this process sees a change at once.
func (r *Resolver) Forget() {
	r.mu.Lock()
	clear(r.cache)
	r.mu.Unlock()
}
