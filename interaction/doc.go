// Package interaction runs Foyer's interaction flow: the Logto-compatible
// /api/interaction API through which hosted pages sign people in, sign them
// up and reset passwords.
//
// An interaction is one document in the session store, keyed by the
// HttpOnly interaction cookie and bound to the tenant that created it. Every
// call reads it once; every change is a compare-and-swap on its version
// (session.Store.Update), so concurrent calls on one interaction never lose
// or corrupt each other's changes, and a one-time challenge recorded in it is
// consumed by the same write that records the result.
//
// Flow integrity (ARCHITECTURE §9) rests on three rules kept in one place
// each. Every result in an interaction belongs to its event, and changing
// the event drops them all (Interaction.switchEvent); a one-time code
// carries the event it was sent for. What submit still needs is decided by
// one function, requirements, which GET /api/interaction reports too. And
// signIn is the only way an interaction ends signed in: it passes mfaGate,
// the same gate for a sign-in, a sign-up and a sign-in after a password
// reset.
//
// The document is written and read on nearly every call, so it has its own
// JSON encoder and decoder (encode.go, decode.go) instead of reflection: the
// same bytes encoding/json would write, one allocation to encode, and
// strings decoded without copies from the Redis reply. Their tests fail when
// a field is added to the document and not to them.
//
// Handlers parse and validate input, call the Service, and return errors for
// the one error handler to render; the Service never sees Fiber.
package interaction
