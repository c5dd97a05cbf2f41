// signals.js: tells the browser's passkey provider what the server knows,
// through the WebAuthn Signal API (L3 §5.1.10), where the browser has it.
// Signals are hints: they never report success, and never hold up a step
// for long.

import { api } from './api.js'

const PKC = window.PublicKeyCredential

/** unknownCredential asks the provider to forget a passkey the server does not know. */
export function unknownCredential(rpId, credentialId) {
  PKC?.signalUnknownCredential?.({ rpId, credentialId }).catch(() => {})
}

/**
 * afterSignIn sends the signed-in user's accepted passkeys (the provider
 * drops the others of this user) and current name (the provider shows it).
 */
export async function afterSignIn() {
  if (!PKC?.signalAllAcceptedCredentials && !PKC?.signalCurrentUserDetails) return
  try {
    const s = await api('GET', '/api/session/passkeys')
    const sent = Promise.allSettled([
      PKC.signalAllAcceptedCredentials?.({ rpId: s.rpId, userId: s.userId, allAcceptedCredentialIds: s.allAcceptedCredentialIds }),
      PKC.signalCurrentUserDetails?.({ rpId: s.rpId, userId: s.userId, name: s.name, displayName: s.displayName }),
    ])
    await Promise.race([sent, new Promise((resolve) => setTimeout(resolve, 1000))])
  } catch {
    // A hint lost: the next sign-in sends it again.
  }
}
