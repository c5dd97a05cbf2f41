package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/internal/redistest"
	"github.com/foyer-auth/foyer/policy"
)

func TestParseErrorPosition(t *testing.T) {
	tests := []struct {
		name, text   string
		line, column int
	}{
		{"bad scope", "permit (principal, action, resource);\n\nforbid (principal, action ==, resource);", 3, 31},
		{"unterminated string", `permit (principal, action, resource) when { "abc };`, 1, 45},
		{"missing semicolon", "permit (principal, action, resource)", 1, 37},
		{"unknown function", "permit (principal, action, resource) when { foo(1) };", 1, 49},
		{"duplicate annotation", `@notice("a") @notice("b") permit (principal, action, resource);`, 1, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse(tt.text)
			var pe *policy.ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.line, pe.Line, "line")
			require.Equal(t, tt.column, pe.Column, "column")
			require.NotEmpty(t, pe.Reason)
		})
	}
	_, err := policy.Parse("")
	require.NoError(t, err, "no policies is a valid text")
}

func TestAuthorizeNotices(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now()
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	s := policy.NewStore(rdb, time.Minute, func() time.Time { return now })
	ctx := t.Context()
	const tid = "6f1c2a3e-0000-4000-8000-000000000001"
	u := &account.User{ID: "u1", MFA: account.MFAFactors{WebAuthn: []account.Credential{{ID: []byte{1}}}}}
	self := policy.Principal{AAL: 1, AuthTime: now.Add(-time.Hour), Via: policy.ViaBearer}
	req := func(action string, c policy.Context) policy.Request {
		return policy.Request{Principal: self, Action: action, User: u, Context: c}
	}

	// No policies: everything is allowed.
	require.NoError(t, s.Authorize(ctx, tid, req(policy.ActionRemoveFactor, policy.Context{})))

	n, err := s.Put(ctx, tid, `
@notice("keep one")
forbid (principal, action == Action::"RemoveFactor", resource) when { resource.factorCount <= 1 };
@notice("recent sign-in")
forbid (principal, action == Action::"RemoveFactor", resource) when { principal.authAgeSeconds > 600 };
forbid (principal is User, action == Action::"RegisterWebAuthn", resource) when { context.method_type == "webauthn_security_key" };
`)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	err = s.Authorize(ctx, tid, req(policy.ActionRemoveFactor, policy.Context{FactorType: "webauthn"}))
	var apiErr *httpx.Error
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, "policy.denied", apiErr.Code)
	require.ElementsMatch(t, []string{"keep one", "recent sign-in"}, apiErr.Notices)

	err = s.Authorize(ctx, tid, req(policy.ActionRegisterWebAuthn, policy.Context{MethodType: "webauthn_security_key"}))
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, []string{}, apiErr.Notices, "a policy without @notice denies without one")
	require.NoError(t, s.Authorize(ctx, tid, req(policy.ActionRegisterWebAuthn, policy.Context{MethodType: "webauthn_passkey"})))
	admin := policy.Request{Principal: policy.Principal{Admin: "app", Via: policy.ViaManagement}, Action: policy.ActionRegisterWebAuthn,
		User: u, Context: policy.Context{MethodType: "webauthn_security_key"}}
	require.NoError(t, s.Authorize(ctx, tid, admin), "principal is User does not match an Admin")

	// A refused text changes nothing.
	_, err = s.Put(ctx, tid, "forbid (")
	require.Error(t, err)
	text, err := s.Text(ctx, tid)
	require.NoError(t, err)
	require.Contains(t, text, "keep one")
}
