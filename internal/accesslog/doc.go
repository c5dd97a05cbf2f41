// Package accesslog writes one structured line per request (log/slog) and
// hands the same facts to observers such as the metrics.
//
// A line holds the request id, method, route template, status, duration,
// tenant id, client address and the error code of a failed request, and
// nothing else: no raw path or query (which may carry tokens), no header,
// cookie or body, so no password, code, token, cookie or secret can reach
// the log through it.
//
// The middleware sits outside every other one. It renders a handler's error
// through the app's ErrorHandler itself (as Fiber's own logger does), so the
// status it logs is the one the client receives.
package accesslog
