package enroll

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/foyer-auth/foyer/account"
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/verification"
)

// API errors of the enrolment surfaces without an interaction (the
// interaction answers in Logto's codes instead).
var (
	ErrAPIFailed     = httpx.New(fiber.StatusBadRequest, "webauthn.verification_failed", "WebAuthn verification failed.")
	ErrAPIInUse      = httpx.New(fiber.StatusUnprocessableEntity, "user.webauthn_credential_already_in_use", "This passkey is already registered.")
	ErrAPINotPending = httpx.New(fiber.StatusNotFound, "not_found", "No pending enrollment: start one first (it may have expired or been completed).")
	ErrAPINoUser     = httpx.New(fiber.StatusNotFound, "not_found", "No such user.")
)

// APIError turns the core's errors into those API errors; others pass.
func APIError(err error) error {
	var apiErr *httpx.Error
	switch {
	case err == nil, errors.As(err, &apiErr):
		return err
	case errors.Is(err, ErrNotPending):
		return ErrAPINotPending
	case errors.Is(err, ErrCredentialInUse):
		return ErrAPIInUse
	case errors.Is(err, verification.ErrWebAuthnFailed), errors.Is(err, verification.ErrUnknownPasskey):
		return ErrAPIFailed.WithCause(err)
	case errors.Is(err, account.ErrNotFound):
		return ErrAPINoUser
	}
	return err
}
