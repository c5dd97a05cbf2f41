// Package verification proves who a user is, one method per file:
// password.go (argon2id hashes and the password policy), limit.go (attempt
// limits shared by every method), webauthn.go (with template.go: each kind
// of ceremony begun once by go-webauthn, then encoded per request around
// the challenge and the user), and the one-time code, TOTP and backup-code
// methods. Each method proves one thing and returns a typed
// result or a sentinel error; none of them knows about HTTP or cookies.
package verification
