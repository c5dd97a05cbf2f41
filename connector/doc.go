// Package connector delivers one-time codes to people: by email over SMTP
// (smtp.go), by SMS through an HTTP webhook that the operator bridges to an
// SMS provider (webhook.go), or, in development only, by printing them on the
// server log (log.go). Every connector is a Sender.
//
// Invariants:
//   - A failed delivery always wraps ErrDelivery, so the HTTP layer can answer
//     502 without knowing which connector ran.
//   - The code never appears in an error message: errors are logged, and
//     a code in a log line is a code anyone with log access can use. Only the
//     Log connector prints codes, on purpose, and says so loudly.
//   - Connectors hold no per-request state and are safe for concurrent use.
//
// Subpackage smtptest runs a real SMTP server in tests and hands back what it
// received, for this package's tests and for end-to-end suites.
package connector
