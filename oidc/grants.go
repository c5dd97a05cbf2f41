package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// grant is what one code exchange authorised: the family every access and
// refresh token of that exchange belongs to. Revoking it ends them all.
type grant struct {
	ID       string       `json:"id"`
	ClientID string       `json:"clientId"`
	Issuer   string       `json:"iss"`
	Subject  string       `json:"sub"`
	Scopes   []string     `json:"scopes"`
	AuthTime time.Time    `json:"authTime"`
	AMR      []string     `json:"amr"`
	SID      string       `json:"sid,omitempty"`
	User     userSnapshot `json:"user"`
	Created  time.Time    `json:"created"`
	// Until is the absolute end of the family's refresh tokens.
	Until time.Time `json:"until"`
}

func grantKey(tid, gid string) string { return prefix(tid) + "grant:" + gid }
func atRevKey(tid, jti string) string { return prefix(tid) + "atrev:" + jti }
func grantPrefix(tid string) string   { return prefix(tid) + "grant:" }
func hashSecret(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}
func refreshToken(gid, secret string) string { return gid + "." + secret }

// splitRefresh parses "<grant id>.<secret>".
func splitRefresh(rt string) (gid, secret string, ok bool) {
	gid, secret, ok = strings.Cut(rt, ".")
	return gid, secret, ok && len(gid) == 22 && len(secret) == 43
}

// grantTTL is how long the grant's key lives: while its refresh token may
// be used, and at least as long as the access tokens it issued now.
func grantTTL(g *grant, offline bool, now time.Time) time.Duration {
	ttl := AccessTokenTTL + clockSkew
	if offline {
		ttl = max(ttl, min(RefreshTokenTTL, g.Until.Sub(now)))
	}
	return ttl
}

// exchangeScript consumes a code and creates its grant in one step.
//
//	KEYS[1] code, KEYS[2] grant
//	ARGV[1] grant id, ARGV[2] tombstone lifetime (ms), ARGV[3] grant doc,
//	ARGV[4] refresh hash ("" for none), ARGV[5] grant lifetime (ms),
//	ARGV[6] client id, ARGV[7] issuer, ARGV[8] scopes, ARGV[9] grant key prefix
//
// Answers 1 when exchanged, 0 when the code is gone, -1 when it was used
// already: then the grant it created is revoked (RFC 6749 §4.1.2).
var exchangeScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'doc', 'gid')
if not v[1] then return 0 end
if v[2] then
  local g = ARGV[9] .. v[2]
  if redis.call('EXISTS', g) == 1 then redis.call('HSET', g, 'revoked', '1') end
  return -1
end
redis.call('HSET', KEYS[1], 'gid', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], 'doc', ARGV[3], 'rt', ARGV[4], 'cid', ARGV[6], 'iss', ARGV[7], 'scope', ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1`)

func (p *Provider) exchange(ctx context.Context, tid, code string, g *grant, rtHash string, ttl time.Duration) (int64, error) {
	doc, err := json.Marshal(g)
	if err != nil {
		return 0, err
	}
	n, err := exchangeScript.Run(ctx, p.hot, []string{codeKey(tid, code), grantKey(tid, g.ID)},
		g.ID, (AccessTokenTTL + clockSkew).Milliseconds(), doc, rtHash, ttl.Milliseconds(),
		g.ClientID, g.Issuer, strings.Join(g.Scopes, " "), grantPrefix(tid)).Int64()
	return n, wrap("exchange code", err)
}

// Refresh outcomes.
const (
	refreshOK          = 1
	refreshUnknown     = 0
	refreshReused      = -1 // a rotated token again: the family is now revoked
	refreshRevoked     = -2
	refreshWrongClient = -3
	refreshWrongIssuer = -4
	refreshBadScope    = -5
)

// rotateScript checks a refresh token against its grant and rotates it.
//
//	KEYS[1] grant
//	ARGV[1] presented hash, ARGV[2] new hash, ARGV[3] lifetime (ms),
//	ARGV[4] client id, ARGV[5] issuer, ARGV[6] requested scopes ("" = all),
//	ARGV[7] how many rotated hashes to keep
//
// Answers {1, doc} or {code} (see the refresh outcomes). The client, issuer
// and scope checks come before the rotation, so a refused request leaves
// the token usable; presenting a recently rotated token revokes the family.
var rotateScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'doc', 'rt', 'prev', 'revoked', 'cid', 'iss', 'scope')
if not v[1] then return {0} end
if v[4] then return {-2} end
if v[2] ~= ARGV[1] then
  if v[3] and string.find(' ' .. v[3] .. ' ', ' ' .. ARGV[1] .. ' ', 1, true) then
    redis.call('HSET', KEYS[1], 'revoked', '1')
    return {-1}
  end
  return {0}
end
if v[5] ~= ARGV[4] then return {-3} end
if v[6] ~= ARGV[5] then return {-4} end
local granted = ' ' .. v[7] .. ' '
for s in string.gmatch(ARGV[6], '%S+') do
  if not string.find(granted, ' ' .. s .. ' ', 1, true) then return {-5} end
end
local kept, n = {ARGV[1]}, 1
if v[3] then
  for h in string.gmatch(v[3], '%S+') do
    if n >= tonumber(ARGV[7]) then break end
    kept[#kept + 1] = h
    n = n + 1
  end
end
redis.call('HSET', KEYS[1], 'rt', ARGV[2], 'prev', table.concat(kept, ' '))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, v[1]}`)

// rotate consumes a refresh token and stores its successor's hash.
func (p *Provider) rotate(ctx context.Context, tid, gid, secret, newHash string, ttl time.Duration,
	clientID, issuer string, scopes []string) (*grant, int64, error) {
	res, err := rotateScript.Run(ctx, p.hot, []string{grantKey(tid, gid)}, hashSecret(secret), newHash,
		ttl.Milliseconds(), clientID, issuer, strings.Join(scopes, " "), usedRefreshKept).Slice()
	if err != nil {
		return nil, 0, wrap("rotate refresh token", err)
	}
	n, _ := res[0].(int64)
	if n != refreshOK {
		return nil, n, nil
	}
	s, _ := res[1].(string)
	var g grant
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return nil, 0, fmt.Errorf("oidc: corrupt grant: %w", err)
	}
	return &g, n, nil
}

// revokeRefreshScript revokes the grant of a refresh token its client
// presents: 1 revoked, 0 unknown (nothing to do), -3 another client's.
var revokeRefreshScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'rt', 'prev', 'cid')
if not v[3] then return 0 end
local known = v[1] == ARGV[1] or (v[2] and string.find(' ' .. v[2] .. ' ', ' ' .. ARGV[1] .. ' ', 1, true))
if not known then return 0 end
if v[3] ~= ARGV[2] then return -3 end
redis.call('HSET', KEYS[1], 'revoked', '1')
return 1`)

func (p *Provider) revokeRefresh(ctx context.Context, tid, gid, secret, clientID string) (int64, error) {
	n, err := revokeRefreshScript.Run(ctx, p.hot, []string{grantKey(tid, gid)}, hashSecret(secret), clientID).Int64()
	return n, wrap("revoke refresh token", err)
}

// revokeGrant ends a family (a deleted user, a reused code).
var revokeGrantScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end
return 1`)

func (p *Provider) revokeGrant(ctx context.Context, tid, gid string) error {
	return wrap("revoke grant", revokeGrantScript.Run(ctx, p.hot, []string{grantKey(tid, gid)}).Err())
}

// revokeAccess denies one access token until it expires.
func (p *Provider) revokeAccess(ctx context.Context, tid, jti string, exp time.Time) error {
	ttl := time.Until(exp) + clockSkew
	if ttl <= 0 || jti == "" {
		return nil
	}
	return wrap("revoke access token", p.hot.Set(ctx, atRevKey(tid, jti), "1", ttl).Err())
}

// refreshState says whether a refresh token is the current one of a live
// grant, for introspection.
func (p *Provider) refreshState(ctx context.Context, tid, gid, secret string) (*grant, bool, error) {
	vals, err := p.hot.HMGet(ctx, grantKey(tid, gid), "doc", "rt", "revoked").Result()
	if err != nil {
		return nil, false, wrap("read grant", err)
	}
	doc, ok := vals[0].(string)
	rt, _ := vals[1].(string)
	_, revoked := vals[2].(string)
	if !ok || revoked || rt == "" || rt != hashSecret(secret) {
		return nil, false, nil
	}
	var g grant
	if err := json.Unmarshal([]byte(doc), &g); err != nil {
		return nil, false, fmt.Errorf("oidc: corrupt grant: %w", err)
	}
	return &g, true, nil
}

// accessActive reports, in one round trip, whether neither an access token
// nor its grant was revoked (the grant check also sees a family ended by
// a reused code or refresh token).
func (p *Provider) accessActive(ctx context.Context, tid string, c *AccessClaims) (bool, error) {
	var grantVals *redis.SliceCmd
	var denied *redis.IntCmd
	_, err := p.hot.Pipelined(ctx, func(pl redis.Pipeliner) error {
		if c.Grant != "" {
			grantVals = pl.HMGet(ctx, grantKey(tid, c.Grant), "cid", "revoked")
		}
		denied = pl.Exists(ctx, atRevKey(tid, c.JTI))
		return nil
	})
	if err != nil {
		return false, wrap("check access token", err)
	}
	if denied.Val() > 0 {
		return false, nil
	}
	if grantVals != nil {
		v := grantVals.Val()
		cid, live := v[0].(string)
		_, revoked := v[1].(string)
		if !live || revoked || cid != c.ClientID {
			return false, nil
		}
	}
	return true, nil
}
