package myaccount

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// maxTokens bounds a user's personal access tokens (they live in the user
// document).
const maxTokens = 20

// ErrTooManyTokens: the user has maxTokens already.
var ErrTooManyTokens = httpx.New(fiber.StatusUnprocessableEntity, "token.limit_reached", "This account has as many personal access tokens as it may; revoke one first.")

// TokenInput is the body of POST /v1/users/me/tokens.
type TokenInput struct {
	Name string `json:"name" validate:"required,min=1,max=64"`
	// ExpiresInDays: 0 or absent means the token does not expire.
	ExpiresInDays int `json:"expiresInDays" validate:"min=0,max=3650"`
}

// TokenInfo is a personal access token as listed; the secret is never
// shown again.
type TokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// NewToken is the answer of POST /v1/users/me/tokens: the token, once.
type NewToken struct {
	TokenInfo
	Token string `json:"token"`
}

// TokenList is GET /v1/users/me/tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

func (h *Handler) createToken(c *fiber.Ctx) error {
	in, err := httpx.Bind[TokenInput](c, h.Binder)
	if err != nil {
		return err
	}
	out, err := h.Service.CreateToken(c.UserContext(), tenant.From(c), callerOf(c), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (h *Handler) tokens(c *fiber.Ctx) error {
	cl := callerOf(c)
	if err := h.Service.authorize(c.UserContext(), tenant.From(c), cl, policy.ActionViewAccount, policy.Context{}); err != nil {
		return err
	}
	out := TokenList{Tokens: []TokenInfo{}}
	for _, tok := range cl.User.Tokens {
		out.Tokens = append(out.Tokens, tokenInfo(tok))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

func (h *Handler) revokeToken(c *fiber.Ctx) error {
	if err := h.Service.RevokeToken(c.UserContext(), tenant.From(c), callerOf(c), c.Params("tokenId")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func tokenInfo(t account.AccessToken) TokenInfo {
	return TokenInfo{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt, ExpiresAt: timePtr(t.ExpiresAt), LastUsedAt: timePtr(t.LastUsedAt)}
}

// CreateToken makes a personal access token: "<id>.<secret>", 256 random
// bits of secret, kept as its SHA-256. A token can enrol passkeys, so it
// needs a recent sign-in like the other sensitive changes.
func (s *Service) CreateToken(ctx context.Context, t *tenant.Tenant, cl *Caller, in TokenInput) (NewToken, error) {
	if err := s.recent(t, cl); err != nil {
		return NewToken{}, err
	}
	if err := s.authorize(ctx, t, cl, policy.ActionCreateToken, policy.Context{}); err != nil {
		return NewToken{}, err
	}
	var secret [32]byte
	_, _ = rand.Read(secret[:])
	tok := account.AccessToken{ID: enroll.NewID(), Name: in.Name, CreatedAt: s.Now().UTC()}
	plain := base64.RawURLEncoding.EncodeToString(secret[:])
	tok.Hash = hashSecret(plain)
	if in.ExpiresInDays > 0 {
		tok.ExpiresAt = tok.CreatedAt.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)
	}
	if _, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		if len(u.Tokens) >= maxTokens {
			return ErrTooManyTokens
		}
		u.Tokens = append(u.Tokens, tok)
		return nil
	}); err != nil {
		return NewToken{}, err
	}
	return NewToken{TokenInfo: tokenInfo(tok), Token: tok.ID + "." + plain}, nil
}

// RevokeToken deletes one of the user's personal access tokens.
func (s *Service) RevokeToken(ctx context.Context, t *tenant.Tenant, cl *Caller, id string) error {
	if err := s.authorize(ctx, t, cl, policy.ActionRevokeToken, policy.Context{}); err != nil {
		return err
	}
	_, err := s.Accounts.Update(ctx, t.ID, cl.User.ID, func(u *account.User) error {
		n := len(u.Tokens)
		u.Tokens = slices.DeleteFunc(u.Tokens, func(tok account.AccessToken) bool { return tok.ID == id })
		if len(u.Tokens) == n {
			return ErrNotFound
		}
		return nil
	})
	return err
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// matchToken finds the live token of u that presented is, in constant time
// on the secret.
func matchToken(u *account.User, presented string, now time.Time) (account.AccessToken, bool) {
	id, secret, ok := strings.Cut(presented, ".")
	if !ok || secret == "" {
		return account.AccessToken{}, false
	}
	i := slices.IndexFunc(u.Tokens, func(tok account.AccessToken) bool { return tok.ID == id })
	if i < 0 {
		return account.AccessToken{}, false
	}
	tok := u.Tokens[i]
	want, err := hex.DecodeString(tok.Hash)
	got := sha256.Sum256([]byte(secret))
	if err != nil || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return account.AccessToken{}, false
	}
	if !tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt) {
		return account.AccessToken{}, false
	}
	return tok, true
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
