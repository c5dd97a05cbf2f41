package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/foyer-auth/foyer/tests/authenticator"
)

const password = "violet-Harbor-kettle-93"

// passkeyUser is a user with a password and a discoverable passkey, used
// by one flow at a time (an authenticator's signature counter must reach
// Foyer in order).
type passkeyUser struct {
	name string
	auth *authenticator.Authenticator
}

// flows are what virtual users do.
type flows struct {
	newVU   func() *vu
	origin  string
	signups atomic.Int64
	codes   atomic.Int64

	mu    sync.Mutex
	acked []string // usernames whose sign-up was answered 200

	pool chan *passkeyUser
}

func withType(resp []byte) json.RawMessage {
	var m map[string]any
	_ = json.Unmarshal(resp, &m)
	m["type"] = "WebAuthn"
	b, _ := json.Marshal(m)
	return b
}

// signUp registers a new user with a password, skipping optional MFA.
func (f *flows) signUp(ctx context.Context, run string) error {
	v := f.newVU()
	name := fmt.Sprintf("u%s%d", run, f.signups.Add(1))
	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{http.MethodPut, "/api/interaction", map[string]any{"event": "Register"}, 204},
		{http.MethodPatch, "/api/interaction/profile", map[string]any{"username": name, "password": password}, 204},
		{http.MethodPut, "/api/interaction/mfa-skipped", nil, 204},
		{http.MethodPost, "/api/interaction/submit", nil, 200},
	}
	for _, s := range steps {
		if _, err := v.call(ctx, s.method, s.path, s.path, s.body, s.want); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.acked = append(f.acked, name)
	f.mu.Unlock()
	return nil
}

// register makes a passkey user (set-up, before the load).
func (f *flows) register(ctx context.Context, name string) (*passkeyUser, error) {
	v := f.newVU()
	a := authenticator.New(authenticator.WithAttachment("platform"), authenticator.WithTransports("internal"))
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction", "/api/interaction", map[string]any{"event": "Register"}, 204); err != nil {
		return nil, err
	}
	if _, err := v.call(ctx, http.MethodPatch, "/api/interaction/profile", "/api/interaction/profile", map[string]any{"username": name, "password": password}, 204); err != nil {
		return nil, err
	}
	opts, err := v.call(ctx, http.MethodPost, "/api/interaction/verification/webauthn-registration", "/api/interaction/verification/webauthn-registration", map[string]any{}, 200)
	if err != nil {
		return nil, err
	}
	_, resp, err := a.Register(opts, f.origin)
	if err != nil {
		return nil, err
	}
	if _, err := v.call(ctx, http.MethodPost, "/api/interaction/bind-mfa", "/api/interaction/bind-mfa", withType(resp), 204); err != nil {
		return nil, err
	}
	if _, err := v.call(ctx, http.MethodPost, "/api/interaction/submit", "/api/interaction/submit", nil, 200); err != nil {
		return nil, err
	}
	return &passkeyUser{name: name, auth: a}, nil
}

// passwordMFA signs in with a password and the passkey as second factor.
func (f *flows) passwordMFA(ctx context.Context) error {
	u := <-f.pool
	defer func() { f.pool <- u }()
	v := f.newVU()
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction", "/api/interaction", map[string]any{"event": "SignIn",
		"identifier": map[string]any{"username": u.name, "password": password}}, 204); err != nil {
		return err
	}
	opts, err := v.call(ctx, http.MethodPost, "/api/interaction/verification/webauthn-authentication", "/api/interaction/verification/webauthn-authentication", map[string]any{}, 200)
	if err != nil {
		return err
	}
	assertion, err := u.auth.Login(opts, f.origin)
	if err != nil {
		return err
	}
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction/mfa", "/api/interaction/mfa", withType(assertion), 204); err != nil {
		return err
	}
	_, err = v.call(ctx, http.MethodPost, "/api/interaction/submit", "/api/interaction/submit", nil, 200)
	return err
}

// passkey signs in with the discoverable passkey alone.
func (f *flows) passkey(ctx context.Context) error {
	u := <-f.pool
	defer func() { f.pool <- u }()
	v := f.newVU()
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction", "/api/interaction", map[string]any{"event": "SignIn"}, 204); err != nil {
		return err
	}
	opts, err := v.call(ctx, http.MethodPost, "/api/interaction/verification/webauthn-authentication", "/api/interaction/verification/webauthn-authentication", map[string]any{}, 200)
	if err != nil {
		return err
	}
	assertion, err := u.auth.Login(opts, f.origin)
	if err != nil {
		return err
	}
	if _, err := v.call(ctx, http.MethodPatch, "/api/interaction/identifiers", "/api/interaction/identifiers", map[string]any{"passkey": json.RawMessage(assertion)}, 204); err != nil {
		return err
	}
	_, err = v.call(ctx, http.MethodPost, "/api/interaction/submit", "/api/interaction/submit", nil, 200)
	return err
}

// options asks for WebAuthn request options a few times, the hot path.
func (f *flows) options(ctx context.Context) error {
	v := f.newVU()
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction", "/api/interaction", map[string]any{"event": "SignIn"}, 204); err != nil {
		return err
	}
	for range 5 {
		if _, err := v.call(ctx, http.MethodPost, "/api/interaction/verification/webauthn-authentication", "/api/interaction/verification/webauthn-authentication", map[string]any{}, 200); err != nil {
			return err
		}
	}
	return nil
}

// sendCode mails a one-time code to a fresh address (the SMTP sink).
func (f *flows) sendCode(ctx context.Context) error {
	v := f.newVU()
	if _, err := v.call(ctx, http.MethodPut, "/api/interaction", "/api/interaction", map[string]any{"event": "SignIn"}, 204); err != nil {
		return err
	}
	n := f.codes.Add(1)
	_, err := v.call(ctx, http.MethodPost, "/api/interaction/verification/verification-code", "/api/interaction/verification/verification-code",
		map[string]any{"email": fmt.Sprintf("code%d@soak.test", n)}, 204)
	return err
}
