package myaccount

import (
	"context"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// Errors of the account API, in the seeds' codes.
var (
	ErrUnauthenticated = httpx.New(fiber.StatusUnauthorized, "unauthenticated", "A valid access token for this tenant's account API is required.")
	ErrBasic           = httpx.New(fiber.StatusUnauthorized, "unauthenticated", "A username and a valid personal access token are required.")
	ErrNotFound        = httpx.New(fiber.StatusNotFound, "not_found", "No such resource.")
	ErrNoPending       = enroll.ErrAPINotPending
	ErrNotImplemented  = httpx.New(fiber.StatusNotImplemented, "not_implemented", "This method type is not implemented.")
	ErrReauth          = httpx.New(fiber.StatusForbidden, "reauthentication_required", "Sign in again to do this: the sign-in behind this token is too old.")
	ErrBusy            = httpx.New(fiber.StatusServiceUnavailable, "request.busy", "The server is busy; please retry.")
)

// ReauthDetails are the details of reauthentication_required.
type ReauthDetails struct {
	// MaxAge is how old, in seconds, a sign-in may be.
	MaxAge int `json:"maxAge"`
}

// TokenVerifier checks access tokens (oidc.Provider).
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, t *tenant.Tenant, token, audience string) (*oidc.AccessClaims, error)
}

// Handler serves the account API.
type Handler struct {
	Service *Service
	Tokens  TokenVerifier
	Binder  *httpx.Binder
}

// Mount registers /v1/users/me on r, a group that resolves the tenant.
func (h *Handler) Mount(r fiber.Router) {
	r.Use(h.bearer)
	r.Get("/", h.profile)
	r.Get("/mfa", h.factors)
	r.Post("/mfa/webauthn/register", h.registerWebAuthn)
	r.Post("/mfa/webauthn/register/complete", h.completeWebAuthn)
	r.Patch("/mfa/webauthn/:factorId", h.renameWebAuthn)
	r.Delete("/mfa/webauthn/:factorId", h.removeWebAuthn)
	r.Post("/mfa/totp", h.startTOTP)
	r.Post("/mfa/totp/complete", h.completeTOTP)
	r.Delete("/mfa/totp", h.removeTOTP)
	r.Get("/mfa/backup-codes", h.backupCodes)
	r.Post("/mfa/backup-codes", h.regenerateBackupCodes)
	r.Put("/password", h.changePassword)
	r.Get("/sessions", h.sessions)
	r.Delete("/sessions/:sessionId", h.endSession)
	r.Post("/tokens", h.createToken)
	r.Get("/tokens", h.tokens)
	r.Delete("/tokens/:tokenId", h.revokeToken)
}

// MountBasic registers the Mailcheap-style registration endpoints on r
// (/api/v1/webauthn/registration, resolving the tenant). Their paths end
// in "/" as Mailcheap's do; Fiber serves them with or without it.
func (h *Handler) MountBasic(r fiber.Router) {
	r.Use(h.basic)
	r.Get("/options/", h.basicOptions)
	r.Post("/verify/", h.basicVerify)
}

// Caller is who a request of the account API acts for.
type Caller struct {
	User      *account.User
	Principal policy.Principal
}

type callerKey struct{}

func callerOf(c *fiber.Ctx) *Caller {
	cl, _ := c.UserContext().Value(callerKey{}).(*Caller)
	return cl
}

// bearer authenticates /v1/users/me: a user's access token for the
// account audience of this tenant's origin (RFC 6750).
func (h *Handler) bearer(c *fiber.Ctx) error {
	t := tenant.From(c)
	token, ok := credentials(c.Get(fiber.HeaderAuthorization), "Bearer")
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="account"`)
		return ErrUnauthenticated
	}
	aud := oidc.AccountAudience(oidc.Origin(c.Get(fiber.HeaderHost), t.Dev, httpx.Scheme(c)))
	claims, err := h.Tokens.VerifyAccessToken(c.UserContext(), t, token, aud)
	var u *account.User
	if err == nil {
		if claims.Grant == "" || claims.AuthTime == 0 {
			err = oidc.ErrInvalidToken // an application's own token, not a user's
		} else if u, err = h.Service.Accounts.Get(c.UserContext(), t.ID, claims.Subject); errors.Is(err, account.ErrNotFound) {
			err = oidc.ErrInvalidToken
		}
	}
	if errors.Is(err, oidc.ErrInvalidToken) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="account", error="invalid_token"`)
		return ErrUnauthenticated
	}
	if err != nil {
		return err
	}
	cl := &Caller{User: u, Principal: policy.Principal{AAL: aal(claims.AMR), AuthTime: unix(claims.AuthTime), Via: policy.ViaBearer}}
	c.SetUserContext(context.WithValue(c.UserContext(), callerKey{}, cl))
	return c.Next()
}

// credentials returns the credentials of an Authorization header of the
// given scheme, matched case-insensitively (RFC 9110 §11.1).
func credentials(header, scheme string) (string, bool) {
	s, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(s, scheme) {
		return "", false
	}
	cred = strings.TrimLeft(cred, " ")
	return cred, cred != ""
}

// aal is the authenticator assurance level the sign-in reached: two
// different factors (amr "mfa") or one.
func aal(amr []string) int {
	for _, m := range amr {
		if m == "mfa" {
			return 2
		}
	}
	return 1
}
