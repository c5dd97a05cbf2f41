package management

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/interaction"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

// User is a user as the admin API shows it: never a password hash, a
// secret or a credential's key.
type User struct {
	ID           string    `json:"id"`
	Username     string    `json:"username,omitempty"`
	PrimaryEmail string    `json:"primaryEmail,omitempty"`
	PrimaryPhone string    `json:"primaryPhone,omitempty"`
	HasPassword  bool      `json:"hasPassword"`
	MFA          UserMFA   `json:"mfa"`
	Suspended    bool      `json:"suspended"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// UserMFA summarises a user's second factors.
type UserMFA struct {
	TOTP        bool `json:"totp"`
	WebAuthn    int  `json:"webauthn"`
	BackupCodes int  `json:"backupCodes"`
}

func userOut(u *account.User) User {
	return User{ID: u.ID, Username: u.Username, PrimaryEmail: u.PrimaryEmail, PrimaryPhone: u.PrimaryPhone,
		HasPassword: u.PasswordHash != "", Suspended: u.Suspended, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		MFA: UserMFA{TOTP: u.MFA.TOTP != nil, WebAuthn: len(u.MFA.WebAuthn), BackupCodes: u.RemainingBackupCodes()}}
}

// UserList is the body of GET /tenants/{id}/users.
type UserList struct {
	Users []User `json:"users"`
	Next  string `json:"next,omitempty"`
}

// CreateUserInput is the body of POST /tenants/{id}/users: at least one
// identifier, and either a password or invite (an email, or text message,
// telling the person to choose a password through "Forgot password").
type CreateUserInput struct {
	Username     string `json:"username" validate:"omitempty,max=128"`
	PrimaryEmail string `json:"primaryEmail" validate:"omitempty,max=254,email"`
	PrimaryPhone string `json:"primaryPhone" validate:"omitempty,max=32"`
	Password     string `json:"password" validate:"required_without=Invite,excluded_with=Invite,omitempty,max=256"`
	Invite       bool   `json:"invite"`
}

// CreatedUser is the answer of POST /tenants/{id}/users.
type CreatedUser struct {
	User
	// Invited is set for an invitation: whether it was handed to the connector.
	Invited *bool `json:"invited,omitempty"`
}

// UpdateUserInput is the body of PATCH /tenants/{id}/users/{userId}.
type UpdateUserInput struct {
	Suspended *bool `json:"suspended" validate:"required"`
}

func (h *Handler) listUsers(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	after, limit, err := page(c)
	if err != nil {
		return err
	}
	search := c.Query("search")
	if len(search) > 128 {
		return httpx.InvalidField("search", "max", "128")
	}
	p, err := h.Ops.Accounts.List(c.UserContext(), t.ID, search, after, limit)
	if errors.Is(err, account.ErrCursor) {
		return httpx.InvalidField("after", "cursor", "")
	}
	if err != nil {
		return err
	}
	out := UserList{Users: make([]User, 0, len(p.Users)), Next: p.Next}
	for _, u := range p.Users {
		out.Users = append(out.Users, userOut(u))
	}
	return c.JSON(out)
}

func (h *Handler) getUser(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	u, err := h.Ops.Accounts.Get(c.UserContext(), t.ID, c.Params("userId"))
	if err != nil {
		return userErr(err)
	}
	return c.JSON(userOut(u))
}

func (h *Handler) createUser(c *fiber.Ctx) error {
	in, err := httpx.Bind[CreateUserInput](c, h.Binder)
	if err != nil {
		return err
	}
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u := &account.User{Username: in.Username}
	if in.PrimaryEmail != "" {
		e, err := account.NormalizeEmail(in.PrimaryEmail)
		var ee *account.EmailError
		if errors.As(err, &ee) {
			return httpx.InvalidField("primaryEmail", "email", ee.Reason)
		}
		if err != nil {
			return err
		}
		u.PrimaryEmail = e
	}
	if in.Username != "" && !account.ValidUsername(in.Username) {
		return httpx.InvalidField("username", "username", account.UsernamePattern)
	}
	if in.PrimaryPhone != "" {
		if u.PrimaryPhone = account.NormalizePhone(in.PrimaryPhone); u.PrimaryPhone == "" {
			return httpx.InvalidField("primaryPhone", "e164", "")
		}
	}
	if u.Username == "" && u.PrimaryEmail == "" && u.PrimaryPhone == "" {
		return httpx.InvalidField("username", "required_without_all", "primaryEmail primaryPhone")
	}
	var invite connector.Sender
	var to string
	if in.Invite {
		channel, rcpt := account.KindEmail, u.PrimaryEmail
		if rcpt == "" {
			channel, rcpt = account.KindPhone, u.PrimaryPhone
		}
		if rcpt == "" {
			return httpx.InvalidField("primaryEmail", "required_with", "invite")
		}
		if invite, err = h.Ops.Senders(t, channel); err != nil {
			return err
		}
		to = rcpt
	} else {
		if issues := verification.CheckPassword(in.Password, t.Settings.Password.MinScore, u.Username, u.PrimaryEmail); len(issues) > 0 {
			return interaction.ErrPasswordRejected.WithDetails(interaction.PasswordDetails{Issues: issues})
		}
		if u.PasswordHash, err = h.Ops.Hasher.Hash(ctx, in.Password); err != nil {
			if errors.Is(err, verification.ErrBusy) {
				return interaction.ErrBusy.WithCause(err)
			}
			return err
		}
	}
	if err := h.Ops.Accounts.Create(ctx, t.ID, u); err != nil {
		return userErr(err)
	}
	h.adminAudit(c, t, "Admin.User.Create", u.ID)
	out := CreatedUser{User: userOut(u)}
	if invite != nil {
		sent := h.sendInvite(ctx, t, invite, to) == nil
		out.Invited = &sent
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// sendInvite hands the invitation to the connector. A failure does not
// undo the account: the answer says the invitation was not sent, and the
// person can still use "Forgot password".
func (h *Handler) sendInvite(ctx context.Context, t *tenant.Tenant, s connector.Sender, to string) error {
	return s.Send(ctx, connector.Message{To: to, TenantName: t.Name(), Purpose: connector.PurposeInvite, Locale: "en"})
}

func (h *Handler) updateUser(c *fiber.Ctx) error {
	in, err := httpx.Bind[UpdateUserInput](c, h.Binder)
	if err != nil {
		return err
	}
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := h.Ops.Accounts.Update(ctx, t.ID, c.Params("userId"), func(u *account.User) error {
		u.Suspended = *in.Suspended
		return nil
	})
	if err != nil {
		return userErr(err)
	}
	action := "Admin.User.Unsuspend"
	if u.Suspended {
		action = "Admin.User.Suspend"
		// A suspended user is signed out everywhere at once.
		if err := h.Ops.Logins.EndAll(ctx, t.ID, u.ID); err != nil {
			return err
		}
	}
	h.adminAudit(c, t, action, u.ID)
	return c.JSON(userOut(u))
}

func (h *Handler) deleteUser(c *fiber.Ctx) error {
	t, err := h.tenantOf(c)
	if err != nil {
		return err
	}
	ctx, uid := c.UserContext(), c.Params("userId")
	if _, err := h.Ops.Accounts.Get(ctx, t.ID, uid); err != nil {
		return userErr(err)
	}
	if err := h.Ops.Logins.EndAll(ctx, t.ID, uid); err != nil {
		return err
	}
	if _, err := h.Ops.Accounts.Delete(ctx, t.ID, uid); err != nil {
		return userErr(err)
	}
	h.adminAudit(c, t, "Admin.User.Delete", uid)
	return c.SendStatus(fiber.StatusNoContent)
}

func userErr(err error) error {
	var taken *account.TakenError
	switch {
	case errors.Is(err, account.ErrNotFound):
		return ErrUserNotFound
	case errors.As(err, &taken):
		switch taken.Kind {
		case account.KindEmail:
			return interaction.ErrEmailInUse
		case account.KindPhone:
			return interaction.ErrPhoneInUse
		}
		return interaction.ErrUsernameInUse
	}
	return err
}
