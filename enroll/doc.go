// Package enroll is the one enrollment core for WebAuthn credentials: every
// way of adding a passkey or security key (the interaction's bind-mfa, the
// account API, the ZITADEL-style user resources, the Mailcheap-style
// options) builds its options, keeps its ceremony and verifies the answer
// here. The surfaces only translate shapes and authentication.
//
// Two layers:
//
//   - Options and Verify are stateless: options for a user under a Choice,
//     and the verification of a response against a ceremony's session data,
//     which refuses a credential id some account already holds. The
//     interaction calls these and keeps the ceremony inside the interaction
//     document (ARCHITECTURE §4: one read and one compare-and-swap per call).
//   - Start and Complete keep the ceremony in Redis for the surfaces that
//     have no interaction: foyer:t:{<tenant>}:enroll:<key>, with a lifetime
//     equal to the ceremony's timeout. Complete takes the ceremony with
//     GETDEL, so each one is answered at most once, and a failed answer
//     spends it as in the interaction. The credential is then added to the
//     user by account.Store.Update, which writes the user and claims the
//     credential-id index in one script: two accounts can never hold the
//     same credential.
package enroll
