package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// IDTokenClaims are the claims of Foyer's ID tokens (OIDC Core §2). Audience
// is one string, the client id: Logto's SDK refuses an array.
type IDTokenClaims struct {
	Issuer          string   `json:"iss"`
	Subject         string   `json:"sub"`
	Audience        string   `json:"aud"`
	AuthorizedParty string   `json:"azp"`
	Expiry          int64    `json:"exp"`
	IssuedAt        int64    `json:"iat"`
	AuthTime        int64    `json:"auth_time"`
	Nonce           string   `json:"nonce,omitempty"`
	AccessTokenHash string   `json:"at_hash,omitempty"`
	SessionID       string   `json:"sid,omitempty"`
	AMR             []string `json:"amr,omitempty"`
	UserClaims
}

// AccessClaims are the claims of Foyer's access tokens (RFC 9068 §2.2),
// plus the tenant and, for user tokens, the grant they belong to.
type AccessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience []string `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	JTI      string   `json:"jti"`
	ClientID string   `json:"client_id"`
	Scope    string   `json:"scope"`
	AuthTime int64    `json:"auth_time,omitempty"`
	// AMR says how the user signed in (RFC 9068 §2.2.3.1 allows it), so
	// that the account API can tell a second factor was used.
	AMR    []string `json:"amr,omitempty"`
	Tenant string   `json:"tenant"`
	Grant  string   `json:"gid,omitempty"`
}

// Scopes splits the scope claim.
func (c *AccessClaims) Scopes() []string { return strings.Fields(c.Scope) }

// HasScope reports whether the token was granted scope s.
func (c *AccessClaims) HasScope(s string) bool { return slices.Contains(c.Scopes(), s) }

// TokenResponse is a successful token endpoint answer (RFC 6749 §5.1,
// OIDC Core §3.1.3.3).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope"`
}

// origin is the scheme and host of an issuer ("<origin>/oidc").
func origin(issuer string) string { return strings.TrimSuffix(issuer, "/oidc") }

// Origin is a tenant's origin as seen in a request (scheme and Host), the
// issuer without "/oidc": https, or in dev mode the request's own scheme.
func Origin(host string, dev bool, scheme string) string { return origin(issuer(host, dev, scheme)) }

// SID is the public id of a login session, as the "sid" claim of ID
// tokens carries it: the session id itself is the cookie's secret.
func SID(loginID string) string { return sidOf(loginID) }

// AccountAudience is the audience the account API accepts for a tenant
// origin ("https://acme.example.app").
func AccountAudience(origin string) string { return origin + "/v1" }

// audiences of an access token: the issuer (userinfo and introspection
// are the provider's own), and the account API with the account scope.
func audiences(issuer string, scopes []string) []string {
	aud := []string{issuer}
	if slices.Contains(scopes, ScopeAccount) {
		aud = append(aud, AccountAudience(origin(issuer)))
	}
	return aud
}

func sign(sk *signingKey, typ string, claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := sk.signer[typ].Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// issue is what one token answer is made of.
type issue struct {
	tenantID string
	issuer   string
	app      *Application
	subject  string
	scopes   []string
	grantID  string
	authTime time.Time
	// For an ID token (a user and the openid scope):
	idToken bool
	nonce   string
	amr     []string
	sid     string
	user    userSnapshot
	// refresh is the new refresh token, if any.
	refresh string
}

// mint signs the access token and, when asked, the ID token, with the key
// of the application's algorithm.
func (p *Provider) mint(ctx context.Context, in issue) (*TokenResponse, error) {
	sk, err := p.keys.Signer(ctx, in.tenantID, in.app.SigningAlg)
	if err != nil {
		return nil, err
	}
	now := p.now()
	at := AccessClaims{
		Issuer: in.issuer, Subject: in.subject, Audience: audiences(in.issuer, in.scopes),
		Expiry: now.Add(AccessTokenTTL).Unix(), IssuedAt: now.Unix(), JTI: randomToken(16),
		ClientID: in.app.ID, Scope: strings.Join(in.scopes, " "), Tenant: in.tenantID, Grant: in.grantID,
	}
	if !in.authTime.IsZero() {
		at.AuthTime = in.authTime.Unix()
		at.AMR = in.amr
	}
	access, err := sign(sk, "at+jwt", at)
	if err != nil {
		return nil, err
	}
	resp := &TokenResponse{AccessToken: access, TokenType: oidc.BearerToken, ExpiresIn: int64(AccessTokenTTL / time.Second),
		RefreshToken: in.refresh, Scope: at.Scope}
	if !in.idToken {
		return resp, nil
	}
	atHash, err := oidc.ClaimHash(access, sk.Algorithm())
	if err != nil {
		return nil, err
	}
	id := IDTokenClaims{
		Issuer: in.issuer, Subject: in.subject, Audience: in.app.ID, AuthorizedParty: in.app.ID,
		Expiry: now.Add(IDTokenTTL).Unix(), IssuedAt: now.Unix(), AuthTime: in.authTime.Unix(),
		Nonce: in.nonce, AccessTokenHash: atHash, SessionID: in.sid, AMR: in.amr,
		UserClaims: claimsFor(in.user, in.scopes),
	}
	if resp.IDToken, err = sign(sk, "JWT", id); err != nil {
		return nil, err
	}
	return resp, nil
}

// issuerOK reports whether iss is one of tenant's issuers: https on one of
// its hosts (any scheme and port in dev mode), path /oidc.
func issuerOK(iss string, hosts []string, dev bool) bool {
	u, err := url.Parse(iss)
	if err != nil || u.Path != "/oidc" || u.RawQuery != "" {
		return false
	}
	if !slices.Contains(hosts, strings.ToLower(u.Hostname())) {
		return false
	}
	if dev {
		return u.Scheme == "https" || u.Scheme == "http"
	}
	return u.Scheme == "https" && u.Port() == ""
}

// jwtAlgs are the algorithms Foyer signs with; a token naming any other
// (none, HS256) is refused before any key is looked at.
var jwtAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}
