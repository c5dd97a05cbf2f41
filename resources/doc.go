// Package resources serves ZITADEL-style user WebAuthn resources (seed 002),
// after ZITADEL's v3alpha user service (zitadel.resources.user.v3alpha):
//
//	POST   /resources/v3alpha/users/{id}/webauthn                     start
//	POST   /resources/v3alpha/users/{id}/webauthn/{webAuthNId}/_verify verify
//	POST   /resources/v3alpha/users/{id}/webauthn/registration_link   code or email link
//	DELETE /resources/v3alpha/users/{id}/webauthn/{webAuthNId}        remove
//
// Field names are ZITADEL's JSON names (domain, authenticatorType, code,
// webAuthNId, publicKeyCredentialCreationOptions, publicKeyCredential,
// webAuthNName, returnCode, sendLink.urlTemplate, details.owner).
//
// # Authentication
//
// A management access token: an m2m application's client_credentials token
// of this tenant with the scope `management` (Authorization: Bearer, not a
// cookie, so the CSRF rule does not apply). Or, for start only, a
// registration code made by registration_link: single use, 15 minutes,
// stored as its SHA-256, bound to one user. A ceremony started with a code
// may then be verified without a token: its webAuthNId is 128 random bits
// handed only to the code's holder, and the authenticator's signature over
// the ceremony's challenge proves the same client answers.
//
// The enrolment itself is the enrollment core's (package enroll): the
// ceremony is kept under its webAuthNId, which becomes the credential's id,
// so DELETE names the passkey by the id its registration returned.
package resources
