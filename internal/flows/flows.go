package flows

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

// Steps of the flows, as Failure.Step and AfterStep name them.
const (
	StepStart               = "start"                // PUT /api/interaction {event}
	StepProfile             = "profile"              // PATCH /api/interaction/profile
	StepRegistrationOptions = "registration-options" // POST .../verification/webauthn-registration
	StepAuthOptions         = "authentication-options"
	StepTOTPSecret          = "totp-secret"
	StepBind                = "bind-mfa"
	StepIdentify            = "identify" // PUT /api/interaction {event, identifier}
	StepSubmit              = "submit"
	stepAuthenticator       = "authenticator" // the software authenticator refused the options
)

// identifierStart is PUT /api/interaction with an identifier: the password
// or the passkey assertion of a SignIn.
type identifierStart struct {
	Event      string     `json:"event"`
	Identifier identifier `json:"identifier"`
}

type identifier struct {
	Username string          `json:"username,omitempty"`
	Password string          `json:"password,omitempty"`
	Passkey  json.RawMessage `json:"passkey,omitempty"`
}

func (b *Browser) start(ctx context.Context, event string) error {
	_, err := b.call(ctx, StepStart, http.MethodPut, "/api/interaction", []byte(`{"event":"`+event+`"}`), http.StatusNoContent)
	return err
}

// Register starts a Register interaction and sets the profile's username
// and password.
func (b *Browser) Register(ctx context.Context, username, password string) error {
	if err := b.start(ctx, "Register"); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	_, err := b.call(ctx, StepProfile, http.MethodPatch, "/api/interaction/profile", body, http.StatusNoContent)
	return err
}

// BindPasskey creates a credential with a for the interaction's user and
// binds it (a passkey created at sign-up, or a second factor).
func (b *Browser) BindPasskey(ctx context.Context, a *authenticator.Authenticator) error {
	opts, err := b.call(ctx, StepRegistrationOptions, http.MethodPost, "/api/interaction/verification/webauthn-registration", nil, http.StatusOK)
	if err != nil {
		return err
	}
	_, resp, err := a.Register(opts, b.origin)
	if err != nil {
		return &Failure{Step: stepAuthenticator, Status: http.StatusOK, Code: err.Error()}
	}
	_, err = b.call(ctx, StepBind, http.MethodPost, "/api/interaction/bind-mfa", resp, http.StatusNoContent)
	return err
}

// BindTOTP asks for a TOTP secret and binds it with the code an
// authenticator app would show at now.
func (b *Browser) BindTOTP(ctx context.Context, now time.Time) error {
	raw, err := b.call(ctx, StepTOTPSecret, http.MethodPost, "/api/interaction/verification/totp", nil, http.StatusOK)
	if err != nil {
		return err
	}
	var out struct {
		Secret string `json:"secret"`
	}
	code := ""
	if err = json.Unmarshal(raw, &out); err == nil {
		code, err = totp.GenerateCode(out.Secret, now)
	}
	if err != nil {
		return &Failure{Step: StepTOTPSecret, Status: http.StatusOK, Code: "unusable secret: " + err.Error()}
	}
	body, _ := json.Marshal(map[string]string{"type": "Totp", "code": code})
	_, err = b.call(ctx, StepBind, http.MethodPost, "/api/interaction/bind-mfa", body, http.StatusNoContent)
	return err
}

// Submit finishes the interaction and checks that it signed the visitor
// in: 200 with a redirect, a new login-session cookie, the interaction
// cookie cleared.
func (b *Browser) Submit(ctx context.Context) error {
	before := b.cookies[SessionCookie]
	raw, err := b.call(ctx, StepSubmit, http.MethodPost, "/api/interaction/submit", nil, http.StatusOK)
	if err != nil {
		return err
	}
	var out struct {
		RedirectTo string `json:"redirectTo"`
	}
	switch sid := b.cookies[SessionCookie]; {
	case json.Unmarshal(raw, &out) != nil || out.RedirectTo == "":
		return &Failure{Step: StepSubmit, Status: http.StatusOK, Code: "no redirectTo"}
	case sid == "" || sid == before:
		return &Failure{Step: StepSubmit, Status: http.StatusOK, Code: "no new login-session cookie"}
	case b.cookies[InteractionCookie] != "":
		return &Failure{Step: StepSubmit, Status: http.StatusOK, Code: "interaction cookie not cleared"}
	}
	return nil
}

// SignUp registers username with password, binds a passkey made by a
// unless a is nil, and submits.
func (b *Browser) SignUp(ctx context.Context, username, password string, a *authenticator.Authenticator) error {
	if err := b.Register(ctx, username, password); err != nil {
		return err
	}
	if a != nil {
		if err := b.BindPasskey(ctx, a); err != nil {
			return err
		}
	}
	return b.Submit(ctx)
}

// PasskeySignIn signs in with a's discoverable passkey: start a SignIn,
// ask for request options, answer them with an assertion in
// PUT /api/interaction, submit. Four requests.
func (b *Browser) PasskeySignIn(ctx context.Context, a *authenticator.Authenticator) error {
	if err := b.start(ctx, "SignIn"); err != nil {
		return err
	}
	opts, err := b.call(ctx, StepAuthOptions, http.MethodPost, "/api/interaction/verification/webauthn-authentication", nil, http.StatusOK)
	if err != nil {
		return err
	}
	assertion, err := a.Login(opts, b.origin)
	if err != nil {
		return &Failure{Step: stepAuthenticator, Status: http.StatusOK, Code: err.Error()}
	}
	body, _ := json.Marshal(identifierStart{Event: "SignIn", Identifier: identifier{Passkey: assertion}})
	if _, err := b.call(ctx, StepIdentify, http.MethodPut, "/api/interaction", body, http.StatusNoContent); err != nil {
		return err
	}
	return b.Submit(ctx)
}

// PasswordSignIn signs in with a username and password: PUT
// /api/interaction with the identifier, submit. Two requests.
func (b *Browser) PasswordSignIn(ctx context.Context, username, password string) error {
	body, _ := json.Marshal(identifierStart{Event: "SignIn", Identifier: identifier{Username: username, Password: password}})
	if _, err := b.call(ctx, StepIdentify, http.MethodPut, "/api/interaction", body, http.StatusNoContent); err != nil {
		return err
	}
	return b.Submit(ctx)
}
