package resources

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/enroll"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/oidc"
	"github.com/foyer-auth/foyer/policy"
	"github.com/foyer-auth/foyer/tenant"
)

// ScopeManagement is the scope a management token carries.
const ScopeManagement = "management"

// Errors, in Foyer's envelope with ZITADEL's statuses.
var (
	ErrUnauthenticated = httpx.New(fiber.StatusUnauthorized, "unauthenticated", "A management access token (or, to start a registration, a registration code) is required.")
	ErrPermission      = httpx.New(fiber.StatusForbidden, "permission_denied", "The token or code does not allow this.")
	ErrCodeGone        = httpx.New(fiber.StatusNotFound, "not_found", "The registration code does not exist: it was used, has expired, or never existed.")
	ErrNoEmail         = httpx.New(fiber.StatusUnprocessableEntity, "user.email_missing", "The user has no email address to send the link to.")
	ErrConnector       = httpx.New(fiber.StatusBadRequest, "connector.not_found", "No email connector is configured for this tenant.")
)

// TokenVerifier checks access tokens (oidc.Provider).
type TokenVerifier interface {
	VerifyAccessToken(ctx context.Context, t *tenant.Tenant, token, audience string) (*oidc.AccessClaims, error)
}

// SenderFor picks the tenant's connector for a channel ("email").
type SenderFor func(t *tenant.Tenant, channel string) (connector.Sender, error)

// Handler serves /resources/v3alpha/users.
type Handler struct {
	Accounts *account.Store
	Enroll   *enroll.Core
	Policies *policy.Store
	Tokens   TokenVerifier
	// Codes keeps registration codes (a Redis whose keys all expire may).
	Codes   redis.UniversalClient
	Senders SenderFor
	Binder  *httpx.Binder
}

// Mount registers the routes on r (the /resources/v3alpha/users group,
// which resolves the tenant). registration_link is a fixed segment where
// the other routes take a webAuthNId: it is registered first.
func (h *Handler) Mount(r fiber.Router) {
	r.Post("/:id/webauthn", h.start)
	r.Post("/:id/webauthn/registration_link", h.registrationLink)
	r.Post("/:id/webauthn/:webAuthNId/_verify", h.verify)
	r.Delete("/:id/webauthn/:webAuthNId", h.remove)
}

// Owner is ZITADEL's zitadel.object.v3alpha.Owner; a Foyer tenant is an
// instance.
type Owner struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Details is ZITADEL's zitadel.resources.object.v3alpha.Details, of the
// user the call acted on.
type Details struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Changed time.Time `json:"changed"`
	Owner   Owner     `json:"owner"`
}

func detailsOf(t *tenant.Tenant, u *account.User) Details {
	return Details{ID: u.ID, Created: u.CreatedAt, Changed: u.UpdatedAt, Owner: Owner{Type: "OWNER_TYPE_INSTANCE", ID: t.ID}}
}

// DetailsOutput is an answer with details only.
type DetailsOutput struct {
	Details Details `json:"details"`
}

// management authenticates a management token: an m2m application's own
// token (client_credentials) of this tenant, for this tenant's issuer, with
// the management scope. No token is ErrUnauthenticated; a token without the
// scope is ErrPermission.
func (h *Handler) management(c *fiber.Ctx) (policy.Principal, error) {
	t := tenant.From(c)
	token, ok := bearer(c.Get(fiber.HeaderAuthorization))
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="management"`)
		return policy.Principal{}, ErrUnauthenticated
	}
	iss := oidc.Origin(c.Get(fiber.HeaderHost), t.Dev, httpx.Scheme(c)) + "/oidc"
	claims, err := h.Tokens.VerifyAccessToken(c.UserContext(), t, token, iss)
	if err == nil && (claims.Grant != "" || claims.Subject != claims.ClientID) {
		err = oidc.ErrInvalidToken // a user's token, not an application's
	}
	if errors.Is(err, oidc.ErrInvalidToken) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="management", error="invalid_token"`)
		return policy.Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return policy.Principal{}, err
	}
	if !claims.HasScope(ScopeManagement) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="management", error="insufficient_scope", scope="management"`)
		return policy.Principal{}, ErrPermission
	}
	return policy.Principal{Admin: claims.ClientID, Via: policy.ViaManagement}, nil
}

func bearer(header string) (string, bool) {
	s, cred, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(s, "Bearer") {
		return "", false
	}
	cred = strings.TrimLeft(cred, " ")
	return cred, cred != ""
}

// user reads the user of the path in the request's tenant.
func (h *Handler) user(c *fiber.Ctx) (*account.User, error) {
	u, err := h.Accounts.Get(c.UserContext(), tenant.From(c).ID, c.Params("id"))
	if errors.Is(err, account.ErrNotFound) {
		return nil, enroll.ErrAPINoUser
	}
	return u, err
}

func (h *Handler) remove(c *fiber.Ctx) error {
	p, err := h.management(c)
	if err != nil {
		return err
	}
	t := tenant.From(c)
	u, err := h.user(c)
	if err != nil {
		return err
	}
	id := c.Params("webAuthNId")
	if !slices.ContainsFunc(u.MFA.WebAuthn, func(cr account.Credential) bool { return cr.PublicID() == id }) {
		return errNoCredential
	}
	if err := h.Policies.Authorize(c.UserContext(), t.ID, policy.Request{Principal: p, Action: policy.ActionRemoveFactor, User: u,
		Context: policy.Context{FactorType: "webauthn"}}); err != nil {
		return err
	}
	out, err := h.Accounts.Update(c.UserContext(), t.ID, u.ID, func(u *account.User) error {
		n := len(u.MFA.WebAuthn)
		u.MFA.WebAuthn = slices.DeleteFunc(u.MFA.WebAuthn, func(cr account.Credential) bool { return cr.PublicID() == id })
		if len(u.MFA.WebAuthn) == n {
			return errNoCredential
		}
		if u.SecondFactors() == 0 {
			u.MFA.BackupCodes = nil
		}
		return nil
	})
	if errors.Is(err, errNoCredential) {
		return errNoCredential
	}
	if err != nil {
		return err
	}
	return c.JSON(DetailsOutput{Details: detailsOf(t, out)})
}

var errNoCredential = httpx.New(fiber.StatusNotFound, "not_found", "The user has no WebAuthn authenticator with this id.")

// rawJSON is a member kept as it was sent.
type rawJSON = json.RawMessage
