package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/redis/go-redis/v9"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/foyer-auth/foyer/verification"
)

func keysKey(tid string) string { return prefix(tid) + "keys" }

// keyRecord is one signing key as stored: the private half sealed.
type keyRecord struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Sealed    string    `json:"sealed"` // SecretBox(PKCS#8 DER), bound to tenant and kid
	CreatedAt time.Time `json:"createdAt"`
	// ActivatesAt is when the key starts signing; it is published from
	// CreatedAt on.
	ActivatesAt time.Time `json:"activatesAt"`
	// RetiresAt, once the key is replaced, is when it stops being
	// published: after every token it signed has expired.
	RetiresAt *time.Time `json:"retiresAt,omitempty"`
}

// signingKey is a record opened for use.
type signingKey struct {
	rec    keyRecord
	priv   crypto.Signer
	signer map[string]jose.Signer // by JWT "typ"
}

func (k *signingKey) ID() string                                  { return k.rec.KID }
func (k *signingKey) Algorithm() jose.SignatureAlgorithm          { return jose.SignatureAlgorithm(k.rec.Alg) }
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.Algorithm() }
func (k *signingKey) Use() string                                 { return "sig" }
func (k *signingKey) Key() any                                    { return k.priv.Public() }

var (
	_ op.Key        = (*signingKey)(nil)
	_ op.SigningKey = (*publicSigner)(nil)
)

// publicSigner is a signingKey as the library's op.SigningKey (private key).
type publicSigner struct{ *signingKey }

func (p publicSigner) Key() any { return p.priv }

// keySet is a tenant's keys as cached in process.
type keySet struct {
	keys   []*signingKey // oldest first
	loaded time.Time
}

// signer returns the key that signs for alg now: the most recently
// activated one.
func (s *keySet) signer(alg string, now time.Time) *signingKey {
	var best *signingKey
	for _, k := range s.keys {
		if k.rec.Alg == alg && !now.Before(k.rec.ActivatesAt) && (best == nil || k.rec.ActivatesAt.After(best.rec.ActivatesAt)) {
			best = k
		}
	}
	return best
}

// published are the keys JWKS lists now.
func (s *keySet) published(now time.Time) []*signingKey {
	out := make([]*signingKey, 0, len(s.keys))
	for _, k := range s.keys {
		if k.rec.RetiresAt == nil || now.Before(*k.rec.RetiresAt) {
			out = append(out, k)
		}
	}
	return out
}

func (s *keySet) byID(kid string, now time.Time) *signingKey {
	for _, k := range s.published(now) {
		if k.rec.KID == kid {
			return k
		}
	}
	return nil
}

// Keys keeps every tenant's signing keys: made on first use, sealed with
// the server key, cached in process for the configured lifetime.
type Keys struct {
	rdb redis.UniversalClient
	box *verification.SecretBox
	now func() time.Time
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]*keySet
	// gen serialises key generation per process (RSA takes a while).
	gen sync.Mutex
}

// NewKeys returns the key store.
func NewKeys(rdb redis.UniversalClient, box *verification.SecretBox, now func() time.Time, cacheTTL time.Duration) *Keys {
	return &Keys{rdb: rdb, box: box, now: now, ttl: cacheTTL, cache: map[string]*keySet{}}
}

// ErrNoKey: a token names a key the tenant does not publish.
var ErrNoKey = errors.New("oidc: unknown signing key")

// set returns tenant tid's keys, from the cache when fresh, else from
// Redis, making the first keys when the tenant has none.
func (k *Keys) set(ctx context.Context, tid string) (*keySet, error) {
	now := k.now()
	k.mu.Lock()
	s := k.cache[tid]
	k.mu.Unlock()
	if s != nil && now.Sub(s.loaded) < k.ttl {
		return s, nil
	}
	return k.load(ctx, tid)
}

func (k *Keys) load(ctx context.Context, tid string) (*keySet, error) {
	vals, err := k.rdb.HVals(ctx, keysKey(tid)).Result()
	if err != nil {
		return nil, wrap("load keys", err)
	}
	if len(vals) == 0 {
		if err := k.create(ctx, tid); err != nil {
			return nil, err
		}
		if vals, err = k.rdb.HVals(ctx, keysKey(tid)).Result(); err != nil {
			return nil, wrap("load keys", err)
		}
	}
	s := &keySet{loaded: k.now()}
	for _, v := range vals {
		var rec keyRecord
		if err := json.Unmarshal([]byte(v), &rec); err != nil {
			return nil, fmt.Errorf("oidc: corrupt key record: %w", err)
		}
		sk, err := k.open(tid, rec)
		if err != nil {
			return nil, err
		}
		s.keys = append(s.keys, sk)
	}
	sort.Slice(s.keys, func(i, j int) bool { return s.keys[i].rec.CreatedAt.Before(s.keys[j].rec.CreatedAt) })
	k.mu.Lock()
	if len(k.cache) >= maxCachedApps {
		clear(k.cache)
	}
	k.cache[tid] = s
	k.mu.Unlock()
	return s, nil
}

// aad binds a sealed key to its tenant and kid: the server key is shared by
// every tenant, so a record copied into another tenant's hash fails to open.
func aad(tid, kid string) []byte { return []byte("oidc-key/" + tid + "/" + kid) }

func (k *Keys) open(tid string, rec keyRecord) (*signingKey, error) {
	der, err := k.box.Open(rec.Sealed, aad(tid, rec.KID))
	if err != nil {
		return nil, fmt.Errorf("oidc: signing key %s of tenant %s: %w", rec.KID, tid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oidc: signing key %s: %w", rec.KID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("oidc: signing key %s: not a signer", rec.KID)
	}
	sk := &signingKey{rec: rec, priv: priv, signer: map[string]jose.Signer{}}
	for _, typ := range []string{"JWT", "at+jwt"} {
		sig, err := jose.NewSigner(jose.SigningKey{
			Algorithm: jose.SignatureAlgorithm(rec.Alg),
			Key:       jose.JSONWebKey{Key: priv, KeyID: rec.KID},
		}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
		if err != nil {
			return nil, fmt.Errorf("oidc: signer for key %s: %w", rec.KID, err)
		}
		sk.signer[typ] = sig
	}
	return sk, nil
}

// newRecord generates a key for alg, sealed for tenant tid.
func (k *Keys) newRecord(tid, alg string, now, activates time.Time) (keyRecord, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return keyRecord{}, fmt.Errorf("oidc: generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return keyRecord{}, err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	kid := base64.RawURLEncoding.EncodeToString(id[:])
	return keyRecord{KID: kid, Alg: alg, Sealed: k.box.Seal(der, aad(tid, kid)), CreatedAt: now, ActivatesAt: activates}, nil
}

// createFirst stores the first keys only if the tenant still has none, so
// replicas racing on a tenant's first token agree on one set.
var createFirst = redis.NewScript(`
if redis.call('HLEN', KEYS[1]) > 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1]) end
return 1`)

// create makes a tenant's first keys, one per algorithm, active at once:
// nothing was published before, so no replica can hold a stale set.
func (k *Keys) create(ctx context.Context, tid string) error {
	k.gen.Lock()
	defer k.gen.Unlock()
	now := k.now().UTC()
	var args []any
	for _, alg := range []string{AlgRS256, AlgES256} {
		rec, err := k.newRecord(tid, alg, now, now)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(rec)
		args = append(args, rec.KID, string(b))
	}
	return wrap("create keys", createFirst.Run(ctx, k.rdb, []string{keysKey(tid)}, args...).Err())
}

// Signer returns tenant tid's signing key for alg.
func (k *Keys) Signer(ctx context.Context, tid, alg string) (*signingKey, error) {
	s, err := k.set(ctx, tid)
	if err != nil {
		return nil, err
	}
	if sk := s.signer(alg, k.now()); sk != nil {
		return sk, nil
	}
	return nil, fmt.Errorf("oidc: tenant %s has no %s key", tid, alg)
}

// Public returns the published key kid of tenant tid. An unknown kid
// reloads the set once it is a second old, so a key made by a rotation on
// another replica is found without waiting for the cache to expire.
func (k *Keys) Public(ctx context.Context, tid, kid string) (*signingKey, error) {
	s, err := k.set(ctx, tid)
	if err != nil {
		return nil, err
	}
	now := k.now()
	if sk := s.byID(kid, now); sk != nil {
		return sk, nil
	}
	if now.Sub(s.loaded) < time.Second {
		return nil, ErrNoKey
	}
	if s, err = k.load(ctx, tid); err != nil {
		return nil, err
	}
	if sk := s.byID(kid, now); sk != nil {
		return sk, nil
	}
	return nil, ErrNoKey
}

// Published lists the keys JWKS serves for tenant tid.
func (k *Keys) Published(ctx context.Context, tid string) ([]op.Key, error) {
	s, err := k.set(ctx, tid)
	if err != nil {
		return nil, err
	}
	pub := s.published(k.now())
	out := make([]op.Key, len(pub))
	for i, sk := range pub {
		out[i] = sk
	}
	return out, nil
}

// KeyView is a signing key as the admin API shows it.
type KeyView struct {
	KID         string     `json:"kid"`
	Alg         string     `json:"alg"`
	Status      string     `json:"status"` // next, current, retired
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatesAt time.Time  `json:"activatesAt"`
	RetiresAt   *time.Time `json:"retiresAt,omitempty"`
}

// KeyList is the body of the signing-key admin endpoints.
type KeyList struct {
	Keys []KeyView `json:"keys"`
}

// List shows tenant tid's published keys.
func (k *Keys) List(ctx context.Context, tid string) (KeyList, error) {
	s, err := k.load(ctx, tid)
	if err != nil {
		return KeyList{}, err
	}
	now := k.now()
	out := KeyList{Keys: []KeyView{}}
	for _, sk := range s.published(now) {
		status := "retired"
		switch {
		case now.Before(sk.rec.ActivatesAt):
			status = "next"
		case s.signer(sk.rec.Alg, now) == sk:
			status = "current"
		}
		out.Keys = append(out.Keys, KeyView{KID: sk.rec.KID, Alg: sk.rec.Alg, Status: status,
			CreatedAt: sk.rec.CreatedAt, ActivatesAt: sk.rec.ActivatesAt, RetiresAt: sk.rec.RetiresAt})
	}
	return out, nil
}

// Rotate makes a new key for each algorithm. It is published at once and
// signs after the cache lifetime, when every replica has reloaded and
// publishes it too; the keys it replaces stay published until the last
// token they can have signed has expired. Records past their retirement
// are dropped.
func (k *Keys) Rotate(ctx context.Context, tid string) (KeyList, error) {
	if _, err := k.set(ctx, tid); err != nil { // a tenant's first rotation still starts from a key
		return KeyList{}, err
	}
	k.gen.Lock()
	now := k.now().UTC()
	activates := now.Add(k.ttl)
	retires := activates.Add(max(AccessTokenTTL, IDTokenTTL) + clockSkew)
	fresh := map[string]string{}
	for _, alg := range []string{AlgRS256, AlgES256} {
		rec, err := k.newRecord(tid, alg, now, activates)
		if err != nil {
			k.gen.Unlock()
			return KeyList{}, err
		}
		b, _ := json.Marshal(rec)
		fresh[rec.KID] = string(b)
	}
	k.gen.Unlock()
	key := keysKey(tid)
	var err error
	for range 5 { // another rotation changed the hash meanwhile: start over
		if err = k.rdb.Watch(ctx, func(tx *redis.Tx) error {
			all, err := tx.HGetAll(ctx, key).Result()
			if err != nil {
				return err
			}
			set, del := map[string]any{}, []string{}
			for kid, v := range all {
				var rec keyRecord
				if err := json.Unmarshal([]byte(v), &rec); err != nil {
					return fmt.Errorf("oidc: corrupt key record: %w", err)
				}
				switch {
				case rec.RetiresAt == nil:
					rec.RetiresAt = &retires
					b, _ := json.Marshal(rec)
					set[kid] = string(b)
				case now.After(*rec.RetiresAt):
					del = append(del, kid)
				}
			}
			for kid, v := range fresh {
				set[kid] = v
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, key, set)
				if len(del) > 0 {
					p.HDel(ctx, key, del...)
				}
				return nil
			})
			return err
		}, key); !errors.Is(err, redis.TxFailedErr) {
			break
		}
	}
	if err != nil {
		return KeyList{}, wrap("rotate keys", err)
	}
	k.mu.Lock()
	delete(k.cache, tid)
	k.mu.Unlock()
	return k.List(ctx, tid)
}
