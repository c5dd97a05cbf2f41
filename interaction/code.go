package interaction

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/connector"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/session"
	"github.com/foyer-auth/foyer/tenant"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

// One-time code errors, in Logto's codes.
var (
	ErrCodeMismatch    = httpx.New(fiber.StatusBadRequest, "verification_code.code_mismatch", "Invalid verification code.")
	ErrCodeNotFound    = httpx.New(fiber.StatusBadRequest, "verification_code.not_found", "Verification code not found. Please send verification code first.")
	ErrCodeExpired     = httpx.New(fiber.StatusBadRequest, "verification_code.expired", "Verification code has expired. Please request a new verification code.")
	ErrCodeTooManyTry  = httpx.New(fiber.StatusBadRequest, "verification_code.exceed_max_try", "Verification code retries limitation exceeded. Please request a new verification code.")
	ErrMessageLimited  = httpx.New(fiber.StatusTooManyRequests, "request.message_rate_limited", "Too many messages sent to this recipient. Please try again later.")
	ErrConnectorAbsent = httpx.New(fiber.StatusBadRequest, "connector.not_found", "No connector is configured to send this kind of message.")
	ErrDelivery        = httpx.New(fiber.StatusBadGateway, "connector.delivery_failed", "The message could not be delivered. Please try again later.")
	ErrUserNotExist    = httpx.New(fiber.StatusNotFound, "user.user_not_exist", "No user has this identifier.")
)

// SendLimits bound code sends.
type SendLimits struct {
	PerRecipientMinute verification.Limit
	PerRecipientHour   verification.Limit
	PerIP              verification.Limit
}

// DefaultSendLimits: 1 a minute (per purpose) and 10 an hour per
// recipient, 30 an hour per client address (FOYER_TRUSTED_PROXIES; an
// IPv6 address by its /64). None is tenant-wide.
var DefaultSendLimits = SendLimits{
	PerRecipientMinute: verification.Limit{N: 1, Window: time.Minute},
	PerRecipientHour:   verification.Limit{N: 10, Window: time.Hour},
	PerIP:              verification.Limit{N: 30, Window: time.Hour},
}

// SendCodeInput is the body of POST /verification/verification-code.
type SendCodeInput struct {
	Email string `json:"email" validate:"required_without=Phone,excluded_with=Phone,omitempty,max=254"` // checked by normalizeEmail
	Phone string `json:"phone" validate:"required_without=Email,omitempty,max=32"`
}

func (in SendCodeInput) target() (channel, recipient string, err error) {
	if in.Email != "" {
		e, err := normalizeEmail(in.Email)
		return account.KindEmail, e, err
	}
	p := account.NormalizePhone(in.Phone)
	if p == "" {
		return "", "", httpx.InvalidField("phone", "e164", "")
	}
	return account.KindPhone, p, nil
}

// SendCode sends a one-time code and keeps its hash in the interaction. The
// answer is the same whether or not an account uses the recipient.
func (s *Service) SendCode(ctx context.Context, r Request, id string, in SendCodeInput) error {
	channel, recipient, err := in.target()
	if err != nil {
		return err
	}
	ix, doc, err := s.load(ctx, r.Tenant, id)
	if err != nil {
		return err
	}
	sender, err := s.Senders(r.Tenant, channel)
	if err != nil {
		return err
	}
	res, err := s.Limiter.Hit(ctx, r.Tenant.ID,
		// The minute limit is per purpose, so signing up and then signing in
		// at once is not refused; the hour limit counts every send.
		verification.Bucket{Scope: "code-min", Value: string(ix.Event) + ":" + recipient, Limit: s.SendLimits.PerRecipientMinute},
		verification.Bucket{Scope: "code-hour", Value: recipient, Limit: s.SendLimits.PerRecipientHour},
		verification.Bucket{Scope: "code-ip", Value: verification.AddressKey(r.IP), Limit: s.SendLimits.PerIP})
	if err != nil {
		return limitErr(err, ErrMessageLimited)
	}
	// The code is bound to the event it is sent for: it proves nothing once
	// the interaction is for something else.
	to := verification.Target{Channel: channel, Recipient: recipient, Purpose: string(ix.Event)}
	code, plain := verification.NewCode(to, s.Now(), verification.DefaultCodeTTL, s.CodeKey)
	// Store first, send second: a code that could not be stored must never
	// reach anyone (it could not be checked, and a resend would not replace
	// it).
	err = s.save(ctx, r.Tenant, ix, doc, func(cur *Interaction) error {
		if cur.Event != ix.Event {
			return session.ErrConflict // the event changed under us: the code would prove nothing
		}
		cur.Code = &code
		return nil
	})
	if err != nil {
		s.Limiter.Release(ctx, res) // nothing was sent: the send is not counted
		return err
	}
	msg := connector.Message{To: recipient, Code: plain, TenantName: r.Tenant.Name(), Purpose: string(ix.Event), Locale: "en"}
	if err := sender.Send(ctx, msg); err != nil {
		s.Limiter.Release(ctx, res) // nothing was delivered: the send is not counted
		return ErrDelivery.WithCause(err)
	}
	return nil
}

// identifyByCode checks a code sent to an email or phone for the
// interaction's event and applies what it proves: for SignIn and
// ForgotPassword the user owning it, for Register a verified profile field.
// Every try is counted in the interaction.
func (s *Service) identifyByCode(ctx context.Context, r Request, ix *Interaction, doc session.Doc, in IdentifierInput, kind, value string) (string, error) {
	if ix.Code == nil {
		return "", ErrCodeNotFound
	}
	var u *account.User
	if ix.Event != Register {
		var err error
		if u, err = s.Accounts.Find(ctx, r.Tenant.ID, kind, value); err != nil && !errors.Is(err, account.ErrNotFound) {
			return "", err
		}
	}
	var checkErr error
	id, err := s.saveMove(ctx, r.Tenant, ix, doc, func(cur *Interaction) (bool, error) {
		if cur.Code == nil {
			checkErr = ErrCodeNotFound
			return false, nil
		}
		code := *cur.Code
		to := verification.Target{Channel: kind, Recipient: value, Purpose: string(cur.Event)}
		checkErr = code.Check(to, in.VerificationCode, s.Now(), verification.DefaultCodeMaxTries, s.CodeKey)
		if checkErr != nil {
			cur.Code = &code // the failed try is counted
			return false, nil
		}
		cur.Code = nil // used once
		v := Verified{Method: kind + "Code", Kind: kind, Value: value}
		switch {
		case u != nil:
			identified(cur, u, v)
			return true, nil
		case cur.Event == Register && kind == account.KindEmail:
			cur.Profile.Email = value
		case cur.Event == Register:
			cur.Profile.Phone = value
		}
		cur.Verified = append(cur.Verified, v)
		return true, nil
	})
	if err != nil {
		return "", err
	}
	return id, s.failed(ctx, r, ix.Event, MethodCode, uidOf(u), codeErr(checkErr))
}

func codeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verification.ErrCodeExpired):
		return ErrCodeExpired
	case errors.Is(err, verification.ErrCodeTooManyTries):
		return ErrCodeTooManyTry
	case errors.Is(err, verification.ErrCodeNotFound):
		return ErrCodeNotFound
	case errors.Is(err, verification.ErrCodeMismatch):
		return ErrCodeMismatch
	}
	var apiErr *httpx.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return err
}

// SenderFor picks the connector of a tenant for a channel ("email" or
// "phone"). In dev mode an unconfigured channel prints codes on the log.
type SenderFor func(t *tenant.Tenant, channel string) (connector.Sender, error)
