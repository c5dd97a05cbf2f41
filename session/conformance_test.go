package session_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/foyer-auth/foyer/internal/batch"
	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/session"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Every backend the store runs on passes the same suite (STYLE.md habit 12):
// a real redis-server, and the embedded miniredis that cmd/foyer starts when
// no FOYER_REDIS_URL is set.

func TestConformanceRedisServer(t *testing.T) {
	for _, pipelined := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "batched"}[pipelined], func(t *testing.T) {
			runConformance(t, func(t *testing.T) redis.UniversalClient {
				t.Helper()
				srv := redistest.Start(t)
				return newClient(t, srv.Addr)
			}, pipelined)
		})
	}
}

func TestConformanceMiniredis(t *testing.T) {
	runConformance(t, func(t *testing.T) redis.UniversalClient {
		t.Helper()
		// As cmd/foyer/redis.go does: miniredis on a loopback port, reached
		// over TCP by go-redis, not through any in-process shortcut.
		mr := miniredis.NewMiniRedis()
		require.NoError(t, mr.StartAddr("127.0.0.1:0"))
		t.Cleanup(mr.Close)
		return newClient(t, mr.Addr())
	}, true)
}

// newClient connects the way cmd/foyer does (a UniversalClient built from
// options), with go-redis's default timeouts so that a slow race-detector
// run does not turn into spurious ErrUnavailable.
func newClient(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	require.NoError(t, rdb.Ping(t.Context()).Err())
	return rdb
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func runConformance(t *testing.T, newClient func(t *testing.T) redis.UniversalClient, pipelined bool) {
	t.Helper()
	ix := session.Kind{Prefix: "ix", TTL: time.Hour}

	setup := func(t *testing.T) (*session.Store, redis.UniversalClient) {
		t.Helper()
		rdb := newClient(t)
		if !pipelined {
			return session.NewStore(rdb), rdb
		}
		b := batch.New(rdb)
		t.Cleanup(b.Close)
		return session.NewPipelinedStore(rdb, b.Client()), rdb
	}
	create := func(t *testing.T, s *session.Store, data string) session.Doc {
		t.Helper()
		doc, err := s.Create(t.Context(), ix, []byte(data), 0)
		require.NoError(t, err)
		return doc
	}
	pttl := func(t *testing.T, rdb redis.UniversalClient, id string) time.Duration {
		t.Helper()
		d, err := rdb.PTTL(t.Context(), ix.Key(id)).Result()
		require.NoError(t, err)
		return d
	}
	exists := func(t *testing.T, rdb redis.UniversalClient, id string) bool {
		t.Helper()
		n, err := rdb.Exists(t.Context(), ix.Key(id)).Result()
		require.NoError(t, err)
		return n == 1
	}

	t.Run("CreateGetRoundTrip", func(t *testing.T) {
		s, _ := setup(t)
		data := "{\"event\":\"SignIn\"}\x00\xff binary-safe"
		doc := create(t, s, data)
		require.Equal(t, int64(1), doc.Version)
		require.Equal(t, data, string(doc.Data))

		got, err := s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, doc, got)
	})

	t.Run("IDsAreUniqueBase64URL", func(t *testing.T) {
		s, _ := setup(t)
		seen := map[string]bool{}
		for range 200 {
			doc := create(t, s, "x")
			require.Regexp(t, idPattern, doc.ID)
			raw, err := base64.RawURLEncoding.DecodeString(doc.ID)
			require.NoError(t, err)
			require.Len(t, raw, 32)
			require.True(t, session.ValidID(doc.ID))
			require.False(t, seen[doc.ID], "duplicate id %s", doc.ID)
			seen[doc.ID] = true
		}
	})

	t.Run("GetUnknownOrGarbage", func(t *testing.T) {
		s, rdb := setup(t)
		// A key that is not a well-formed document must not be readable
		// through a garbage id either.
		require.NoError(t, rdb.HSet(t.Context(), ix.Key("short"), "v", "1", "doc", "x").Err())
		tests := []struct {
			name string
			id   string
		}{
			{"empty", ""},
			{"unknown", session.NewID()},
			{"too short", "short"},
			{"too long", session.NewID() + "A"},
			{"bad char", strings.Repeat("a", 42) + "+"},
			{"hash tag break", strings.Repeat("a", 41) + "}{"},
			{"padding", strings.Repeat("a", 42) + "="},
			{"non-ascii", strings.Repeat("a", 41) + "é"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.Get(t.Context(), ix, tt.id)
				require.ErrorIs(t, err, session.ErrNotFound)
				_, err = s.GetAndTouch(t.Context(), ix, tt.id, time.Hour)
				require.ErrorIs(t, err, session.ErrNotFound)
				_, err = s.Update(t.Context(), ix, tt.id, func(session.Doc) ([]byte, error) { return []byte("y"), nil })
				require.ErrorIs(t, err, session.ErrNotFound)
			})
		}
	})

	t.Run("UpdateBumpsVersion", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		for want := int64(2); want <= 4; want++ {
			got, err := s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) {
				require.Equal(t, want-1, old.Version)
				return append(old.Data, 'b'), nil
			})
			require.NoError(t, err)
			require.Equal(t, want, got.Version)
		}
		got, err := s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, session.Doc{ID: doc.ID, Version: 4, Data: []byte("abbb"), Expires: doc.Expires}, got)
		v, err := rdb.HGet(t.Context(), ix.Key(doc.ID), "v").Result()
		require.NoError(t, err)
		require.Equal(t, "4", v)
	})

	t.Run("UpdateStaleVersionRetriesFromFreshRead", func(t *testing.T) {
		s, _ := setup(t)
		doc := create(t, s, "a")
		calls := 0
		got, err := s.UpdateFrom(t.Context(), ix, doc, func(old session.Doc) ([]byte, error) {
			calls++
			if calls == 1 {
				// Another writer wins between our read and our write.
				_, err := s.Update(t.Context(), ix, doc.ID, func(o session.Doc) ([]byte, error) { return append(o.Data, 'X'), nil })
				require.NoError(t, err)
			}
			return append(old.Data, 'b'), nil
		})
		require.NoError(t, err)
		require.Equal(t, 2, calls)
		require.Equal(t, int64(3), got.Version)
		require.Equal(t, "aXb", string(got.Data))
	})

	t.Run("UpdateDeletedNeverRecreates", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		require.NoError(t, s.Delete(t.Context(), ix, doc.ID))
		_, err := s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) { return []byte("b"), nil })
		require.ErrorIs(t, err, session.ErrNotFound)
		require.False(t, exists(t, rdb, doc.ID))

		// Deleted between the read and the compare-and-swap: the script
		// must refuse, and the retry must find nothing.
		doc = create(t, s, "a")
		_, err = s.UpdateFrom(t.Context(), ix, doc, func(old session.Doc) ([]byte, error) {
			require.NoError(t, rdb.Del(t.Context(), ix.Key(doc.ID)).Err())
			return []byte("b"), nil
		})
		require.ErrorIs(t, err, session.ErrNotFound)
		require.False(t, exists(t, rdb, doc.ID))
	})

	t.Run("ConcurrentUpdatesLoseNothing", func(t *testing.T) {
		s, _ := setup(t)
		doc := create(t, s, "[]")
		const n = 100
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) {
					var items []int
					if err := json.Unmarshal(old.Data, &items); err != nil {
						return nil, err
					}
					return json.Marshal(append(items, i))
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got, err := s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, int64(n+1), got.Version)
		var items []int
		require.NoError(t, json.Unmarshal(got.Data, &items))
		slices.Sort(items)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		require.Equal(t, want, items)
	})

	t.Run("NoChangeKeepsVersion", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		got, err := s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) {
			return nil, fmt.Errorf("nothing to do: %w", session.ErrNoChange)
		})
		require.NoError(t, err)
		require.Equal(t, doc, got)
		v, err := rdb.HGet(t.Context(), ix.Key(doc.ID), "v").Result()
		require.NoError(t, err)
		require.Equal(t, "1", v)
	})

	t.Run("UpdateErrorWritesNothing", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		boom := errors.New("boom")
		_, err := s.Update(t.Context(), ix, doc.ID, func(session.Doc) ([]byte, error) { return []byte("b"), boom })
		require.ErrorIs(t, err, boom)
		vals, err := rdb.HMGet(t.Context(), ix.Key(doc.ID), "v", "doc").Result()
		require.NoError(t, err)
		require.Equal(t, []any{"1", "a"}, vals)
	})

	t.Run("TTLSetAtCreateAndKeptByUpdate", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		ttl := pttl(t, rdb, doc.ID)
		require.Greater(t, ttl, 59*time.Minute)
		require.LessOrEqual(t, ttl, time.Hour)

		explicit, err := s.Create(t.Context(), ix, []byte("a"), 90*time.Second)
		require.NoError(t, err)
		ttl = pttl(t, rdb, explicit.ID)
		require.Greater(t, ttl, 80*time.Second)
		require.LessOrEqual(t, ttl, 90*time.Second)

		// Shorten the remaining life, as time passing would: an update
		// must neither reset it to the kind's TTL nor remove it.
		require.NoError(t, rdb.PExpire(t.Context(), ix.Key(doc.ID), 7*time.Second).Err())
		_, err = s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) { return []byte("b"), nil })
		require.NoError(t, err)
		ttl = pttl(t, rdb, doc.ID)
		require.Greater(t, ttl, time.Duration(0), "update removed the TTL")
		require.LessOrEqual(t, ttl, 7*time.Second, "update reset the TTL")
	})

	t.Run("CreateRefusesNoLifetime", func(t *testing.T) {
		s, rdb := setup(t)
		_, err := s.Create(t.Context(), session.Kind{Prefix: "ix"}, []byte("a"), 0)
		require.Error(t, err)
		_, err = s.Create(t.Context(), ix, []byte("a"), 500*time.Microsecond)
		require.Error(t, err)
		keys, err := rdb.Keys(t.Context(), "*").Result()
		require.NoError(t, err)
		require.Empty(t, keys)
	})

	moveTo := func(data string) func(session.Doc) ([]byte, bool, error) {
		return func(session.Doc) ([]byte, bool, error) { return []byte(data), true, nil }
	}

	t.Run("UpdateMoveMovesDocument", func(t *testing.T) {
		s, rdb := setup(t)
		doc, err := s.Create(t.Context(), ix, []byte("a"), 7*time.Second)
		require.NoError(t, err)
		require.Positive(t, doc.Expires)
		doc, err = s.UpdateFrom(t.Context(), ix, doc, func(session.Doc) ([]byte, error) { return []byte("b"), nil })
		require.NoError(t, err)

		moved, err := s.UpdateMove(t.Context(), ix, doc, moveTo("payload"))
		require.NoError(t, err)
		require.NotEqual(t, doc.ID, moved.ID)
		require.Regexp(t, idPattern, moved.ID)
		require.Equal(t, session.Doc{ID: moved.ID, Version: 1, Data: []byte("payload"), Expires: doc.Expires}, moved)

		got, err := s.Get(t.Context(), ix, moved.ID)
		require.NoError(t, err)
		require.Equal(t, moved, got)
		require.False(t, exists(t, rdb, doc.ID))
		// The moved document keeps the lifetime it was created with.
		ttl := pttl(t, rdb, moved.ID)
		require.Greater(t, ttl, 5*time.Second)
		require.LessOrEqual(t, ttl, 7*time.Second)

		// The old id is gone for good: moving or updating it again fails.
		_, err = s.UpdateMove(t.Context(), ix, doc, moveTo("again"))
		require.ErrorIs(t, err, session.ErrNotFound)
		keys, err := rdb.Keys(t.Context(), "*").Result()
		require.NoError(t, err)
		require.Equal(t, []string{ix.Key(moved.ID)}, keys, "a failed move left a document behind")

		// A function that answers no move updates in place.
		stay, err := s.UpdateMove(t.Context(), ix, moved, func(session.Doc) ([]byte, bool, error) { return []byte("here"), false, nil })
		require.NoError(t, err)
		require.Equal(t, session.Doc{ID: moved.ID, Version: 2, Data: []byte("here"), Expires: doc.Expires}, stay)
	})

	t.Run("UpdateMoveOfDocumentWithoutExpiry", func(t *testing.T) {
		// Documents written before Foyer kept their expiry move with the
		// kind's lifetime.
		s, rdb := setup(t)
		id := session.NewID()
		require.NoError(t, rdb.HSet(t.Context(), ix.Key(id), "v", "3", "doc", "old").Err())
		require.NoError(t, rdb.PExpire(t.Context(), ix.Key(id), time.Minute).Err())
		doc, err := s.Get(t.Context(), ix, id)
		require.NoError(t, err)
		require.Equal(t, session.Doc{ID: id, Version: 3, Data: []byte("old")}, doc)
		moved, err := s.UpdateMove(t.Context(), ix, doc, moveTo("new"))
		require.NoError(t, err)
		require.Positive(t, moved.Expires)
		ttl := pttl(t, rdb, moved.ID)
		require.Greater(t, ttl, 59*time.Minute)
		require.False(t, exists(t, rdb, id))
	})

	t.Run("UpdateMoveLosesNoConcurrentUpdate", func(t *testing.T) {
		s, rdb := setup(t)
		// An update that reports success on the old id must be in the
		// moved document; one that comes too late must fail, not vanish;
		// and a move that lost a race leaves no document behind.
		for round := range 20 {
			doc := create(t, s, "[]")
			var wg sync.WaitGroup
			stop := make(chan struct{})
			acked := make(chan int, 1000)
			for w := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						item := w*1000 + i
						_, err := s.Update(t.Context(), ix, doc.ID, func(old session.Doc) ([]byte, error) {
							var items []int
							if err := json.Unmarshal(old.Data, &items); err != nil {
								return nil, err
							}
							return json.Marshal(append(items, item))
						})
						if errors.Is(err, session.ErrNotFound) {
							return
						}
						if err != nil {
							t.Errorf("update: %v", err)
							return
						}
						select {
						case acked <- item:
						case <-stop:
							return
						}
					}
				})
			}
			time.Sleep(time.Duration(round%5) * time.Millisecond)
			moved, err := s.UpdateMove(t.Context(), ix, doc, func(old session.Doc) ([]byte, bool, error) {
				var items []int
				if err := json.Unmarshal(old.Data, &items); err != nil {
					return nil, false, err
				}
				b, err := json.Marshal(append(items, -1))
				return b, true, err
			})
			close(stop)
			wg.Wait()
			close(acked)
			require.NoError(t, err)
			got, err := s.Get(t.Context(), ix, moved.ID)
			require.NoError(t, err)
			var items []int
			require.NoError(t, json.Unmarshal(got.Data, &items))
			require.Contains(t, items, -1)
			for item := range acked {
				require.Contains(t, items, item, "round %d: acknowledged update lost by the move", round)
			}
			keys, err := rdb.Keys(t.Context(), "*").Result()
			require.NoError(t, err)
			require.Equal(t, []string{ix.Key(moved.ID)}, keys, "round %d", round)
			require.NoError(t, s.Delete(t.Context(), ix, moved.ID))
		}
	})

	t.Run("TakeAndRestore", func(t *testing.T) {
		s, rdb := setup(t)
		doc, err := s.Create(t.Context(), ix, []byte("a"), 7*time.Second)
		require.NoError(t, err)
		newer, err := s.UpdateFrom(t.Context(), ix, doc, func(session.Doc) ([]byte, error) { return []byte("b"), nil })
		require.NoError(t, err)

		// Taken only at the version the caller decided on.
		require.ErrorIs(t, s.Take(t.Context(), ix, doc), session.ErrChanged)
		got, err := s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, newer, got)
		require.NoError(t, s.Take(t.Context(), ix, newer))
		require.False(t, exists(t, rdb, doc.ID))
		require.ErrorIs(t, s.Take(t.Context(), ix, newer), session.ErrNotFound)

		// Put back one version on, with the lifetime it had.
		require.NoError(t, s.Restore(t.Context(), ix, newer))
		got, err = s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, session.Doc{ID: doc.ID, Version: newer.Version + 1, Data: []byte("b"), Expires: doc.Expires}, got)
		ttl := pttl(t, rdb, doc.ID)
		require.Greater(t, ttl, 5*time.Second)
		require.LessOrEqual(t, ttl, 7*time.Second)
		// A compare-and-swap begun before the take reads again.
		var seen []int64
		after, err := s.UpdateFrom(t.Context(), ix, newer, func(old session.Doc) ([]byte, error) {
			seen = append(seen, old.Version)
			return []byte("c"), nil
		})
		require.NoError(t, err)
		require.Equal(t, []int64{newer.Version, newer.Version + 1}, seen)
		require.Equal(t, newer.Version+2, after.Version)
		// Restoring over a live document changes nothing.
		require.NoError(t, s.Restore(t.Context(), ix, newer))
		got, err = s.Get(t.Context(), ix, doc.ID)
		require.NoError(t, err)
		require.Equal(t, "c", string(got.Data))
	})

	t.Run("GetAndTouchExtendsTTL", func(t *testing.T) {
		s, rdb := setup(t)
		doc, err := s.Create(t.Context(), ix, []byte("a"), 10*time.Second)
		require.NoError(t, err)
		got, err := s.GetAndTouch(t.Context(), ix, doc.ID, 2*time.Hour)
		require.NoError(t, err)
		require.Equal(t, doc, got)
		ttl := pttl(t, rdb, doc.ID)
		require.Greater(t, ttl, time.Hour+59*time.Minute)
		require.LessOrEqual(t, ttl, 2*time.Hour)

		require.NoError(t, s.Touch(t.Context(), ix, doc.ID, 30*time.Second))
		ttl = pttl(t, rdb, doc.ID)
		require.LessOrEqual(t, ttl, 30*time.Second)
		require.Greater(t, ttl, 20*time.Second)

		// Touching what is gone creates nothing.
		gone := session.NewID()
		_, err = s.GetAndTouch(t.Context(), ix, gone, time.Hour)
		require.ErrorIs(t, err, session.ErrNotFound)
		require.False(t, exists(t, rdb, gone))
	})

	t.Run("DeleteIdempotent", func(t *testing.T) {
		s, rdb := setup(t)
		doc := create(t, s, "a")
		other := create(t, s, "b")
		require.NoError(t, s.Delete(t.Context(), ix, doc.ID))
		require.False(t, exists(t, rdb, doc.ID))
		require.NoError(t, s.Delete(t.Context(), ix, doc.ID))
		require.NoError(t, s.Delete(t.Context(), ix, "garbage"))
		require.NoError(t, s.Delete(t.Context(), ix, session.NewID()))
		_, err := s.Get(t.Context(), ix, doc.ID)
		require.ErrorIs(t, err, session.ErrNotFound)
		require.True(t, exists(t, rdb, other.ID), "deleting one document touched another")
	})

	t.Run("KeyLayout", func(t *testing.T) {
		s, rdb := setup(t)
		for _, k := range []session.Kind{ix, {Prefix: "sess", TTL: time.Hour}} {
			doc, err := s.Create(t.Context(), k, []byte(`{"a":1}`), 0)
			require.NoError(t, err)
			want := "foyer:" + k.Prefix + ":{" + doc.ID + "}"
			require.Equal(t, want, k.Key(doc.ID))

			keys, err := rdb.Keys(t.Context(), "foyer:"+k.Prefix+":*").Result()
			require.NoError(t, err)
			require.Equal(t, []string{want}, keys)
			typ, err := rdb.Type(t.Context(), want).Result()
			require.NoError(t, err)
			require.Equal(t, "hash", typ)
			fields, err := rdb.HGetAll(t.Context(), want).Result()
			require.NoError(t, err)
			// e: when the document expires (Unix ms, Redis's clock), which
			// a move carries over.
			e := strconv.FormatInt(doc.Expires, 10)
			require.Equal(t, map[string]string{"v": "1", "doc": `{"a":1}`, "e": e}, fields)
			exp, err := rdb.PExpireTime(t.Context(), want).Result()
			require.NoError(t, err)
			// (miniredis keeps a duration, not the moment: 1 ms may be lost)
			require.InDelta(t, doc.Expires, exp.Milliseconds(), 1)
			require.InDelta(t, time.Now().Add(k.TTL).UnixMilli(), doc.Expires, float64(time.Minute.Milliseconds()))
		}
	})
}
