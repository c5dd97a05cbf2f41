package main

import (
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/tenant"
)

// Replicas started together on one Redis all find the demo tenant, though
// only one of them makes it; a host held by another tenant is still an
// error.
func TestDemoTenantWithReplicas(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: redistest.Start(t).Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	store := tenant.NewStore(rdb, time.Now)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { assert.NoError(t, ensureDemoTenant(t.Context(), store)) })
	}
	wg.Wait()
	demo, err := store.BySlug(t.Context(), "demo")
	require.NoError(t, err)
	require.Equal(t, []string{"localhost", "127.0.0.1"}, demo.Hosts)

	require.NoError(t, rdb.FlushAll(t.Context()).Err())
	_, err = store.Create(t.Context(), tenant.Tenant{Slug: "other", Hosts: []string{"localhost"}, Settings: tenant.DefaultSettings()})
	require.NoError(t, err)
	require.ErrorIs(t, ensureDemoTenant(t.Context(), store), tenant.ErrTaken)
}
