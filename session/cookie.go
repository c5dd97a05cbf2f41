package session

// Cookie names. The __Host- prefix binds a cookie to the exact host, over
// HTTPS, with Path=/ (RFC 6265bis §4.1.3.2); browsers refuse it without
// Secure, so plain-http dev uses the bare name.
const (
	InteractionCookie = "foyer_ix"
	LoginCookie       = "foyer_session"
	hostPrefix        = "__Host-"
)

// CookieName returns the name a cookie has on a secure or plain-http origin.
func CookieName(base string, secure bool) string {
	if secure {
		return hostPrefix + base
	}
	return base
}
