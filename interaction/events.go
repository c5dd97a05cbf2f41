package interaction

import (
	"context"
	"errors"
	"time"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
)

// Activity is one outcome operators and tenants watch: a sign-in, sign-up,
// password reset or MFA change that succeeded, or a verification that
// failed. It feeds the audit trail, webhooks and metrics; it never holds a
// secret (no password, code or token), only which method was used.
type Activity struct {
	Action    string // ActionSignIn, ActionRegister, ActionResetPassword, ActionMFAChange
	TenantID  string
	UserID    string // "" when no user was identified
	IP        string
	UserAgent string
	Method    string // MethodPassword, MethodCode, ...
	Result    string // ResultSuccess or ResultFailure
	Code      string // the error code of a failure
	At        time.Time
}

// Recorder takes activities. Record must not block on slow work (webhook
// delivery): it hands the activity on and returns.
type Recorder interface {
	Record(ctx context.Context, a Activity)
}

// Actions, methods and results of an Activity.
const (
	ActionSignIn        = "SignIn"
	ActionRegister      = "Register"
	ActionResetPassword = "ResetPassword"
	ActionMFAChange     = "MfaChange"

	MethodPassword   = "password"
	MethodCode       = "code"
	MethodPasskey    = "passkey"
	MethodTOTP       = "totp"
	MethodWebAuthn   = "webauthn"
	MethodBackupCode = "backup_code"

	ResultSuccess = "success"
	ResultFailure = "failure"
)

// ErrSuspended answers a suspended user's sign-in.
var ErrSuspended = httpx.New(fiber.StatusUnauthorized, "user.suspended", "This account is suspended.")

// maxUserAgent bounds what is kept of a client-chosen header.
const maxUserAgent = 256

// record tells the Recorder, if any, of a success.
func (s *Service) record(ctx context.Context, r Request, action, method, uid string) {
	s.emit(ctx, r, action, method, uid, "")
}

// failed records err as a failed attempt at event's action by method, and
// returns it. Only refusals count (4xx API errors): a storage outage is no
// attempt.
func (s *Service) failed(ctx context.Context, r Request, event Event, method, uid string, err error) error {
	var apiErr *httpx.Error
	if s.Recorder != nil && errors.As(err, &apiErr) && apiErr.Status < 500 {
		s.emit(ctx, r, actionOf(event), method, uid, apiErr.Code)
	}
	return err
}

// emit hands one activity to the Recorder; code "" is a success.
func (s *Service) emit(ctx context.Context, r Request, action, method, uid, code string) {
	if s.Recorder == nil || r.Tenant == nil {
		return
	}
	ua := r.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	result := ResultSuccess
	if code != "" {
		result = ResultFailure
	}
	s.Recorder.Record(ctx, Activity{Action: action, TenantID: r.Tenant.ID, UserID: uid, IP: r.IP, UserAgent: ua,
		Method: method, Result: result, Code: code, At: s.Now().UTC()})
}

// recordSubmit records what a successful submit did: the sign-in, sign-up
// or reset, with its first-factor method, and any factor bound to an
// existing account.
func (s *Service) recordSubmit(ctx context.Context, r Request, ix *Interaction, u *account.User) {
	if s.Recorder == nil || u == nil {
		return
	}
	s.record(ctx, r, actionOf(ix.Event), firstMethod(ix), u.ID)
	if ix.Event == SignIn {
		for _, m := range boundMethods(ix) {
			s.record(ctx, r, ActionMFAChange, m, u.ID)
		}
	}
}

func uidOf(u *account.User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func actionOf(e Event) string {
	switch e {
	case Register:
		return ActionRegister
	case ForgotPassword:
		return ActionResetPassword
	}
	return ActionSignIn
}

// firstMethod names how the user was identified (or, for sign-up, what the
// account was created with).
func firstMethod(ix *Interaction) string {
	for _, v := range ix.Verified {
		switch v.Method {
		case "password":
			return MethodPassword
		case "emailCode", "phoneCode":
			if ix.Event != Register {
				return MethodCode
			}
		case "passkey":
			return MethodPasskey
		}
	}
	switch {
	case ix.Event == Register && ix.Profile.PasswordHash != "":
		return MethodPassword
	case ix.Event == Register && len(ix.PendingCredentials) > 0:
		return MethodPasskey
	case ix.Event == Register && verifiedContact(ix):
		return MethodCode
	}
	return MethodPassword
}

// boundMethods lists the kinds of factor a sign-in bound to the account.
func boundMethods(ix *Interaction) []string {
	var out []string
	if len(ix.PendingCredentials) > 0 {
		out = append(out, MethodWebAuthn)
	}
	if ix.PendingTOTP != nil {
		out = append(out, MethodTOTP)
	}
	if len(ix.PendingBackupCodes) > 0 {
		out = append(out, MethodBackupCode)
	}
	return out
}
