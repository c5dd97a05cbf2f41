package oidc

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
)

func TestValidRedirectURI(t *testing.T) {
	tests := []struct {
		uri    string
		native bool
		ok     bool
	}{
		{"https://app.example.com/cb", false, true},
		{"https://app.example.com:8443/cb?x=1", false, true},
		{"http://localhost:5173/cb", false, true},
		{"http://127.0.0.1/cb", false, true},
		{"http://example.com/cb", false, false},
		{"http://localhost.example.com/cb", false, false},
		{"https://app.example.com/cb#frag", false, false},
		{"https://user:pw@app.example.com/cb", false, false},
		{"/cb", false, false},
		{"https:///cb", false, false},
		{"com.example.app:/oauth2redirect", false, false},
		{"com.example.app:/oauth2redirect", true, true},
		{"javascript:alert(1)", true, false},
		{"data:text/html,x", true, false},
		{"file:///etc/passwd", true, false},
		{"com.example.app:opaque", true, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.ok, validRedirectURI(tt.uri, tt.native), "%q native=%v", tt.uri, tt.native)
	}
}

func TestValidOrigin(t *testing.T) {
	for origin, ok := range map[string]bool{
		"https://app.example.com":      true,
		"https://app.example.com:8443": true,
		"http://localhost:3000":        true,
		"http://example.com":           false,
		"https://app.example.com/":     false,
		"https://app.example.com/x":    false,
		"*":                            false,
		"null":                         false,
		"https://app.example.com:":     false,
	} {
		require.Equal(t, ok, validOrigin(origin), origin)
	}
}

func TestAMR(t *testing.T) {
	tests := []struct {
		methods []string
		want    []string
	}{
		{[]string{"password"}, []string{"pwd"}},
		{[]string{"passkey"}, []string{"hwk"}},
		{[]string{"password", "webauthn"}, []string{"pwd", "hwk", "mfa"}},
		{[]string{"password", "totp"}, []string{"pwd", "otp", "mfa"}},
		{[]string{"emailCode"}, []string{"otp"}},
		{[]string{"emailCode", "phoneCode"}, []string{"otp"}},
		{[]string{"password", "backupCode"}, []string{"pwd", "otp", "mfa"}},
		{nil, []string{}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, amr(tt.methods), "%v", tt.methods)
	}
}

func TestCheckPKCE(t *testing.T) {
	spa, web := &Application{Type: TypeSPA}, &Application{Type: TypeWeb}
	s256 := strings.Repeat("a", 43)
	tests := []struct {
		name   string
		app    *Application
		ch     string
		method oidc.CodeChallengeMethod
		ok     bool
	}{
		{"public with S256", spa, s256, oidc.CodeChallengeMethodS256, true},
		{"public without", spa, "", "", false},
		{"public plain", spa, s256, oidc.CodeChallengeMethodPlain, false},
		{"public no method", spa, s256, "", false},
		{"confidential without", web, "", "", true},
		{"confidential plain", web, s256, oidc.CodeChallengeMethodPlain, false},
		{"method without challenge", web, "", oidc.CodeChallengeMethodS256, false},
		{"short challenge", spa, "abc", oidc.CodeChallengeMethodS256, false},
	}
	for _, tt := range tests {
		err := checkPKCE(tt.app, &oidc.AuthRequest{CodeChallenge: tt.ch, CodeChallengeMethod: tt.method})
		require.Equal(t, tt.ok, err == nil, "%s: %v", tt.name, err)
	}
}

// rtCounter counts Redis round trips.
type rtCounter struct{ n atomic.Int64 }

func (c *rtCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *rtCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *rtCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// testProvider is a Provider with real Redis and keys, its clock at *now.
func testProvider(tb testing.TB, now *time.Time) (*Provider, *rtCounter) {
	tb.Helper()
	srv := redistest.Start(tb)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	tb.Cleanup(func() { _ = rdb.Close() })
	rtt := &rtCounter{}
	rdb.AddHook(rtt)
	box, err := verification.NewSecretBox(make([]byte, verification.SecretKeySize))
	require.NoError(tb, err)
	clock := func() time.Time { return *now }
	return &Provider{rdb: rdb, hot: rdb, keys: NewKeys(rdb, box, clock, time.Minute), now: clock}, rtt
}

var (
	acme   = &tenant.Tenant{ID: "8d7a4d6e-6b8e-4f63-9d2b-3b0c1c7b4f11", Hosts: []string{"acme.example.app"}}
	globex = &tenant.Tenant{ID: "1c0a8a35-5f0b-4a44-8a38-1d7d7f7d1a22", Hosts: []string{"globex.example.app"}}
)

func mintFor(tb testing.TB, p *Provider, t *tenant.Tenant, alg string, scopes ...string) *TokenResponse {
	tb.Helper()
	resp, err := p.mint(context.Background(), issue{tenantID: t.ID, issuer: "https://" + t.Hosts[0] + "/oidc",
		app: &Application{ID: "client", SigningAlg: alg}, subject: "user", scopes: append([]string{"openid"}, scopes...),
		grantID: "g", authTime: p.now(), idToken: true})
	require.NoError(tb, err)
	return resp
}

func TestVerifyAccessToken(t *testing.T) {
	now := time.Now()
	p, rtt := testProvider(t, &now)
	ctx := context.Background()
	for _, alg := range []string{AlgRS256, AlgES256} {
		tok := mintFor(t, p, acme, alg, ScopeAccount)
		c, err := p.VerifyAccessToken(ctx, acme, tok.AccessToken, AccountAudience("https://acme.example.app"))
		require.NoError(t, err, alg)
		require.Equal(t, "user", c.Subject)
		require.Equal(t, acme.ID, c.Tenant)
		require.True(t, c.HasScope(ScopeAccount))

		before := rtt.n.Load()
		_, err = p.VerifyAccessToken(ctx, acme, tok.AccessToken, "")
		require.NoError(t, err)
		require.Zero(t, rtt.n.Load()-before, "verification with warm keys costs no Redis round trip")
	}

	tok := mintFor(t, p, acme, AlgRS256)
	parts := strings.Split(tok.AccessToken, ".")
	refused := map[string]string{
		"another tenant":   "",
		"audience missing": "",
		"an ID token":      tok.IDToken,
		"tampered":         parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2],
		"alg none":         base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + ".",
		"garbage":          "not-a-jwt",
	}
	for name, token := range refused {
		var err error
		switch name {
		case "another tenant":
			_, err = p.VerifyAccessToken(ctx, globex, tok.AccessToken, "")
		case "audience missing":
			_, err = p.VerifyAccessToken(ctx, acme, tok.AccessToken, AccountAudience("https://acme.example.app"))
		default:
			_, err = p.VerifyAccessToken(ctx, acme, token, "")
		}
		require.ErrorIs(t, err, ErrInvalidToken, name)
	}

	// A token of a tenant whose hosts no longer include the issuer's.
	moved := *acme
	moved.Hosts = []string{"acme.other.app"}
	_, err := p.VerifyAccessToken(ctx, &moved, tok.AccessToken, "")
	require.ErrorIs(t, err, ErrInvalidToken)

	// Expired, past the leeway.
	now = now.Add(AccessTokenTTL + time.Minute)
	_, err = p.VerifyAccessToken(ctx, acme, tok.AccessToken, "")
	require.ErrorIs(t, err, ErrInvalidToken)
}

// TestKeysBoundToTenant: the server key is shared, so a sealed key copied
// into another tenant's hash must not open there.
func TestKeysBoundToTenant(t *testing.T) {
	now := time.Now()
	p, _ := testProvider(t, &now)
	ctx := context.Background()
	_, err := p.keys.Signer(ctx, acme.ID, AlgRS256)
	require.NoError(t, err)
	vals, err := p.rdb.HGetAll(ctx, keysKey(acme.ID)).Result()
	require.NoError(t, err)
	require.Len(t, vals, 2, "an RS256 and an ES256 key, made on first use")
	for kid, v := range vals {
		require.NoError(t, p.rdb.HSet(ctx, keysKey(globex.ID), kid, v).Err())
	}
	_, err = p.keys.Signer(ctx, globex.ID, AlgRS256)
	require.True(t, errors.Is(err, verification.ErrSealed), "got %v", err)
}

// TestRotationKeepsOldKeysPublished: the new key signs after the cache
// lifetime; the old one stays published until its tokens have expired,
// and is dropped by a later rotation after that.
func TestRotationKeepsOldKeysPublished(t *testing.T) {
	now := time.Now()
	p, _ := testProvider(t, &now)
	ctx := context.Background()
	old := mintFor(t, p, acme, AlgRS256)
	list, err := p.keys.Rotate(ctx, acme.ID)
	require.NoError(t, err)
	require.Len(t, list.Keys, 4)

	now = now.Add(2 * time.Minute) // past the one-minute cache lifetime
	fresh := mintFor(t, p, acme, AlgRS256)
	require.NotEqual(t, kidOf(t, old.AccessToken), kidOf(t, fresh.AccessToken))
	_, err = p.VerifyAccessToken(ctx, acme, fresh.AccessToken, "")
	require.NoError(t, err)

	now = now.Add(AccessTokenTTL + IDTokenTTL + 2*clockSkew)
	pub, err := p.keys.Published(ctx, acme.ID)
	require.NoError(t, err)
	require.Len(t, pub, 2, "the replaced keys are no longer published")
	_, err = p.keys.Rotate(ctx, acme.ID)
	require.NoError(t, err)
	n, err := p.rdb.HLen(ctx, keysKey(acme.ID)).Result()
	require.NoError(t, err)
	require.Equal(t, int64(4), n, "records past retirement are deleted")
}

func kidOf(t *testing.T, jwt string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	require.NoError(t, err)
	_, after, _ := strings.Cut(string(h), `"kid":"`)
	kid, _, _ := strings.Cut(after, `"`)
	return kid
}

// BenchmarkVerifyAccessToken measures the in-process check the account
// API will run on every call: parse, RS256 or ES256 signature with the
// tenant's cached key, claims. It reports Redis round trips per call (0).
func BenchmarkVerifyAccessToken(b *testing.B) {
	for _, alg := range []string{AlgRS256, AlgES256} {
		b.Run(alg, func(b *testing.B) {
			now := time.Now()
			p, rtt := testProvider(b, &now)
			tok := mintFor(b, p, acme, alg, ScopeAccount).AccessToken
			ctx := context.Background()
			aud := AccountAudience("https://acme.example.app")
			if _, err := p.VerifyAccessToken(ctx, acme, tok, aud); err != nil {
				b.Fatal(err)
			}
			before := rtt.n.Load()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.VerifyAccessToken(ctx, acme, tok, aud); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rtt.n.Load()-before)/float64(b.N), "redis-rtt/op")
		})
	}
}
