// Package authenticator is a software WebAuthn authenticator (a virtual
// security key or passkey provider) for end-to-end tests.
//
// It plays both the client (browser) and the authenticator role of a
// ceremony: [Authenticator.Register] answers navigator.credentials.create()
// and [Authenticator.Login] answers navigator.credentials.get(). Both take the
// options JSON a Relying Party sends to its front end and return the WebAuthn
// Level 3 JSON serialization a browser's PublicKeyCredential.toJSON() would
// send back, with every binary field base64url encoded without padding.
//
// Everything it returns is built and signed for real:
//
//   - authenticator data follows W3C WebAuthn L3 §6.1 (rpIdHash, flags,
//     big-endian signCount, attested credential data §6.5.1);
//   - credential public keys are COSE_Key maps (RFC 9052 §7, RFC 9053 §2,
//     RFC 8230 §4) encoded with CTAP2 canonical CBOR (CTAP 2.1 §8);
//   - the attestation object is {fmt, attStmt, authData} (§6.5.4) with the
//     "none" format (§8.7) or "packed" self attestation (§8.2);
//   - assertion signatures cover authenticatorData || SHA-256(clientDataJSON)
//     (§6.3.3 step 11) with ES256 (-7), EdDSA/Ed25519 (-8) or RS256 (-257).
//
// Unlike a browser it performs no origin or RP ID checks and never refuses a
// ceremony for policy reasons other than the two an authenticator itself
// enforces (an excluded credential, no usable credential). This lets negative
// tests produce responses that are well formed and correctly signed but wrong,
// so that the server's verification, not its parser, has to refuse them:
//
//   - a foreign origin: pass it as the origin argument;
//   - a foreign RP ID in rpIdHash: [WithRPIDOverride];
//   - no user verification when the RP requires it: [WithUV](false);
//   - a replayed or cloned counter: assign [Credential.SignCount];
//   - a non-standard credential type such as "WebAuthn": [WithType].
//
// An Authenticator is safe for concurrent use by Register and Login. Its
// exported fields and a Credential's SignCount are configuration: change them
// only while no ceremony is running.
package authenticator
