package interaction

import (
	"github.com/foyer-auth/foyer/internal/httpx"
	"github.com/gofiber/fiber/v2"
)

// API errors; codes, statuses and messages follow Logto's interaction API
// (packages/phrases, en).
var (
	ErrNotFound = httpx.New(fiber.StatusBadRequest, "session.not_found", "Session not found. Please go back and sign in again.")
)
