// Package httpx holds the HTTP plumbing every Foyer API shares: the error
// envelope and the one Fiber ErrorHandler that renders it, Bind (parse JSON and
// validate it with a single validator), and middleware for request ids,
// per-request deadlines and CSRF checks.
//
// Invariants: every error a client sees is an *Error rendered as
// {code, message, details?, notices?}; messages never echo client input or
// secrets; anything not recognised is logged once and rendered as 500
// internal_error without detail.
package httpx
