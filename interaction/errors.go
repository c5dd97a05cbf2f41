package interaction

import (
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/foyer-auth/foyer/verification"
	"github.com/gofiber/fiber/v2"
)

// API errors. Codes, statuses and messages follow Logto's interaction API
// (packages/phrases, en) so a sign-in page written for Logto understands them.
var (
	ErrNotFound            = httpx.New(fiber.StatusBadRequest, "session.not_found", "Session not found. Please go back and sign in again.")
	ErrInvalidCredentials  = httpx.New(fiber.StatusUnprocessableEntity, "session.invalid_credentials", "Incorrect account or password. Please check your input.")
	ErrIdentifierNotFound  = httpx.New(fiber.StatusNotFound, "session.identifier_not_found", "User identifier not found. Please go back and sign in again.")
	ErrNotForForgot        = httpx.New(fiber.StatusBadRequest, "session.not_supported_for_forgot_password", "This operation is not supported for forgot password.")
	ErrNotForRegister      = httpx.New(fiber.StatusBadRequest, "session.not_supported_for_register", "This operation is not supported for register.")
	ErrMissingProfile      = httpx.New(fiber.StatusUnprocessableEntity, "user.missing_profile", "You need to provide additional info before signing-in.")
	ErrUsernameInUse       = httpx.New(fiber.StatusUnprocessableEntity, "user.username_already_in_use", "This username is already in use.")
	ErrEmailInUse          = httpx.New(fiber.StatusUnprocessableEntity, "user.email_already_in_use", "This email is associated with an existing account.")
	ErrPhoneInUse          = httpx.New(fiber.StatusUnprocessableEntity, "user.phone_already_in_use", "This phone number is associated with an existing account.")
	ErrPasswordRejected    = httpx.New(fiber.StatusUnprocessableEntity, "password.rejected", "Password rejected. Please check if your password meets the requirements.")
	ErrTooManyAttempts     = httpx.New(fiber.StatusTooManyRequests, "session.verification_blocked_too_many_attempts", "Too many attempts in a short time. Please try again later.")
	ErrBusy                = httpx.New(fiber.StatusServiceUnavailable, "request.busy", "The server is busy; please retry shortly.")
	ErrUnauthorized        = httpx.New(fiber.StatusUnauthorized, "session.unauthorized", "Please sign in first.")
	ErrRequireMFA          = httpx.New(fiber.StatusForbidden, "session.mfa.require_mfa_verification", "Mfa verification is required to sign in.")
	ErrNotVerified         = httpx.New(fiber.StatusNotFound, "session.verification_session_not_found", "The verification was not successful. Restart the verification flow and try again.")
	ErrNewPasswordRequired = httpx.New(fiber.StatusUnprocessableEntity, "user.new_password_required_in_profile", "You need to set a new password.")
	ErrMissingMFA          = httpx.New(fiber.StatusUnprocessableEntity, "user.missing_mfa", "You need to bind additional MFA before signing-in.")
)

// MissingProfileDetails are the details of user.missing_profile.
type MissingProfileDetails struct {
	MissingProfile []string `json:"missingProfile"`
}

// PasswordDetails are the details of password.rejected.
type PasswordDetails struct {
	Issues []verification.PasswordIssue `json:"issues"`
}

// MFADetails are the details of the MFA errors.
type MFADetails struct {
	AvailableFactors []string `json:"availableFactors"`
	Skippable        bool     `json:"skippable"`
}
