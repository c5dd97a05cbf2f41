package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// authRequest is a validated authorization request, kept while the user
// signs in and then, with the login result, under its code.
type authRequest struct {
	ID                  string   `json:"id"`
	TenantID            string   `json:"tenantId"`
	Issuer              string   `json:"iss"`
	ClientID            string   `json:"clientId"`
	RedirectURI         string   `json:"redirectUri"`
	Scopes              []string `json:"scopes"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	CodeChallenge       string   `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string   `json:"codeChallengeMethod,omitempty"`
	// HintSubject is the user an id_token_hint named.
	HintSubject string    `json:"hintSub,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// The library's error redirects need these (op.ErrAuthRequest).
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseModeQuery }

func areqKey(tid, id string) string { return prefix(tid) + "areq:" + id }

// codeKey names a code by its SHA-256: a copy of Redis holds no live code.
func codeKey(tid, code string) string {
	sum := sha256.Sum256([]byte(code))
	return prefix(tid) + "code:" + hex.EncodeToString(sum[:])
}

// randomToken returns n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// saveAuthRequest stores a request awaiting sign-in.
func (p *Provider) saveAuthRequest(ctx context.Context, ar *authRequest) error {
	doc, err := json.Marshal(ar)
	if err != nil {
		return err
	}
	key := areqKey(ar.TenantID, ar.ID)
	_, err = p.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HSet(ctx, key, "doc", doc)
		pl.PExpire(ctx, key, p.cfg.AuthRequestTTL)
		return nil
	})
	return wrap("save auth request", err)
}

// finishScript records the login result of a request awaiting sign-in,
// once: {1, doc} when recorded, {2, doc} when it already was, {0} when the
// request is gone.
var finishScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'doc', 'login')
if not v[1] then return {0} end
if v[2] then return {2, v[1]} end
redis.call('HSET', KEYS[1], 'login', ARGV[1], 'sid', ARGV[2])
return {1, v[1]}`)

// errRequestGone: the authorization request expired or was used.
var errRequestGone = errors.New("oidc: authorization request gone")

func (p *Provider) finishAuthRequest(ctx context.Context, tid, id string, login loginResult) (*authRequest, error) {
	b, err := json.Marshal(login)
	if err != nil {
		return nil, err
	}
	res, err := finishScript.Run(ctx, p.rdb, []string{areqKey(tid, id)}, b, login.SID).Slice()
	if err != nil {
		return nil, wrap("finish auth request", err)
	}
	if n, _ := res[0].(int64); n == 0 {
		return nil, errRequestGone
	}
	return decodeRequest(res[1], tid)
}

func decodeRequest(v any, tid string) (*authRequest, error) {
	s, _ := v.(string)
	var ar authRequest
	if err := json.Unmarshal([]byte(s), &ar); err != nil {
		return nil, fmt.Errorf("oidc: corrupt auth request: %w", err)
	}
	if ar.TenantID != tid {
		return nil, errRequestGone
	}
	return &ar, nil
}

// takeScript turns a finished request into a code, if the browser that
// follows the callback holds the login session the request was finished
// with. {3, doc}: done (the request is deleted, the code stored); {2, doc}:
// another browser; {1, doc}: nobody signed in yet; {0}: no such request.
var takeScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'doc', 'login', 'sid')
if not v[1] then return {0} end
if not v[2] then return {1, v[1]} end
if v[3] ~= ARGV[1] then return {2, v[1]} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'doc', v[1], 'login', v[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {3, v[1]}`)

// takeAuthRequest mints the code of a finished request (the callback).
func (p *Provider) takeAuthRequest(ctx context.Context, tid, id, sid string) (ar *authRequest, code string, state int64, err error) {
	if id == "" || len(id) > 64 {
		return nil, "", 0, errRequestGone
	}
	code = randomToken(32)
	res, err := takeScript.Run(ctx, p.rdb, []string{areqKey(tid, id), codeKey(tid, code)}, sid, CodeTTL.Milliseconds()).Slice()
	if err != nil {
		return nil, "", 0, wrap("take auth request", err)
	}
	state, _ = res[0].(int64)
	if state == 0 {
		return nil, "", 0, errRequestGone
	}
	ar, err = decodeRequest(res[1], tid)
	return ar, code, state, err
}

// storeCode mints a code for a request answered at once (single sign-on).
func (p *Provider) storeCode(ctx context.Context, ar *authRequest, login loginResult) (string, error) {
	doc, err := json.Marshal(ar)
	if err != nil {
		return "", err
	}
	lb, err := json.Marshal(login)
	if err != nil {
		return "", err
	}
	code := randomToken(32)
	key := codeKey(ar.TenantID, code)
	_, err = p.rdb.TxPipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HSet(ctx, key, "doc", doc, "login", lb)
		pl.PExpire(ctx, key, CodeTTL)
		return nil
	})
	return code, wrap("store code", err)
}

// storedCode is a code as read before its exchange.
type storedCode struct {
	req   *authRequest
	login loginResult
	used  bool
}

// readCode reads a code in one round trip.
func (p *Provider) readCode(ctx context.Context, tid, code string) (*storedCode, error) {
	if code == "" || len(code) > 128 {
		return nil, errRequestGone
	}
	vals, err := p.hot.HMGet(ctx, codeKey(tid, code), "doc", "login", "gid").Result()
	if err != nil {
		return nil, wrap("read code", err)
	}
	doc, ok1 := vals[0].(string)
	lb, ok2 := vals[1].(string)
	if !ok1 || !ok2 {
		return nil, errRequestGone
	}
	ar, err := decodeRequest(doc, tid)
	if err != nil {
		return nil, err
	}
	sc := &storedCode{req: ar}
	if err := json.Unmarshal([]byte(lb), &sc.login); err != nil {
		return nil, fmt.Errorf("oidc: corrupt code: %w", err)
	}
	_, sc.used = vals[2].(string)
	return sc, nil
}
