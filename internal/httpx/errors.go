package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Error is an API error: an HTTP status and the envelope body. Values declared
// at package level by API packages are templates; With* methods return copies
// so that a shared template is never mutated.
type Error struct {
	Status  int
	Code    string
	Message string
	Details any
	Notices []string
	// RetryAfter, when set, is sent as the Retry-After header (whole seconds).
	RetryAfter time.Duration
	// Cause is logged for 5xx answers and never sent to the client.
	Cause error
}

// New returns an API error template.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s (%d): %v", e.Code, e.Status, e.Cause)
	}
	return fmt.Sprintf("%s (%d)", e.Code, e.Status)
}

func (e *Error) Unwrap() error { return e.Cause }

// Is makes errors.Is match on the code, so a copy made by With* still matches
// its template.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Status == e.Status
}

// WithDetails returns a copy carrying structured details.
func (e *Error) WithDetails(d any) *Error {
	c := *e
	c.Details = d
	return &c
}

// WithCause returns a copy that records the underlying error for the log.
func (e *Error) WithCause(err error) *Error {
	c := *e
	c.Cause = err
	return &c
}

// WithRetryAfter returns a copy that tells the client when to try again.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// Envelope is the JSON body of every error answer.
type Envelope struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details any      `json:"details,omitempty"`
	Notices []string `json:"notices,omitempty"`
}

// Errors shared by every API.
var (
	ErrInternal        = New(fiber.StatusInternalServerError, "internal_error", "Something went wrong on our side.")
	ErrInvalidInput    = New(fiber.StatusBadRequest, "guard.invalid_input", "The request input is invalid.")
	ErrUnsupportedType = New(fiber.StatusUnsupportedMediaType, "guard.invalid_content_type", "The request body must be JSON (Content-Type: application/json).")
	// ErrEncoded answers a compressed body: it would be inflated past
	// every size limit before a byte of it is checked.
	ErrEncoded       = New(fiber.StatusUnsupportedMediaType, "guard.invalid_content_type", "The request body must not be compressed (Content-Encoding).")
	ErrTooLarge      = New(fiber.StatusRequestEntityTooLarge, "guard.payload_too_large", "The request body is too large.")
	ErrCrossSite     = New(fiber.StatusForbidden, "guard.cross_site_request", "The request's origin is not allowed for this tenant.")
	ErrRouteNotFound = New(fiber.StatusNotFound, "request.not_found", "No such endpoint.")
	ErrMethod        = New(fiber.StatusMethodNotAllowed, "request.method_not_allowed", "This method is not allowed on this endpoint.")
	ErrUnavailable   = New(fiber.StatusServiceUnavailable, "storage.unavailable", "The service is temporarily unavailable; please retry.")
	ErrTimeout       = New(fiber.StatusServiceUnavailable, "request.timeout", "The request took too long; please retry.")
	ErrTooMany       = New(fiber.StatusTooManyRequests, "guard.too_many_requests", "Too many requests; please wait before trying again.")
)

// Mapping turns an error from a lower layer (which knows nothing of HTTP) into
// an API error. The first mapping whose Match reports true wins.
type Mapping struct {
	Match func(error) bool
	To    *Error
}

// MapIs is a Mapping for errors.Is(err, target).
func MapIs(target error, to *Error) Mapping {
	return Mapping{Match: func(err error) bool { return errors.Is(err, target) }, To: to}
}

// ErrorHandler is the one place errors are rendered. It logs server-side
// failures once, with the request id, and never sends their cause.
func ErrorHandler(log *slog.Logger, mappings ...Mapping) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		apiErr := Resolve(err, mappings)
		if apiErr.Status >= 500 {
			log.LogAttrs(c.UserContext(), slog.LevelError, "request failed",
				slog.String("request_id", RequestID(c.UserContext())),
				slog.String("method", c.Method()), slog.String("path", c.Path()),
				slog.Int("status", apiErr.Status), slog.String("code", apiErr.Code),
				slog.Any("error", err))
		}
		if apiErr.RetryAfter > 0 {
			secs := int((apiErr.RetryAfter + time.Second - 1) / time.Second)
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		// Also here: errors fasthttp raises itself skip the middleware.
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return c.Status(apiErr.Status).JSON(Envelope{
			Code: apiErr.Code, Message: apiErr.Message, Details: apiErr.Details, Notices: apiErr.Notices,
		})
	}
}

// Resolve finds the API error for err: an *Error in its chain, a mapping, a
// Fiber error, or else 500.
func Resolve(err error, mappings []Mapping) *Error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	for _, m := range mappings {
		if m.Match(err) {
			return m.To.WithCause(err)
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			return ErrTooLarge
		case fiber.StatusNotFound:
			return ErrRouteNotFound
		case fiber.StatusMethodNotAllowed:
			return ErrMethod
		case fiber.StatusUnsupportedMediaType:
			return ErrUnsupportedType
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return New(fe.Code, "request.invalid", "The request is invalid.")
		}
	}
	return ErrInternal.WithCause(err)
}
