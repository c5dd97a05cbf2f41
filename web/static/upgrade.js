// upgrade.js: after a password sign-in, a passkey for next time. Where the
// browser can create one without a dialog (getClientCapabilities() says
// conditionalCreate) it does so quietly; elsewhere the person gets a
// one-screen offer they may dismiss. Never both.

import { api } from './api.js'
import { go } from './flow.js'
import * as webauthn from './webauthn.js'

const REGISTER = '/api/interaction/verification/webauthn-registration'
const DISMISSED = 'foyer.passkeyOffer.dismissed'
const DISMISS_MS = 30 * 24 * 3600 * 1000

// GRACE_MS is how long the end of a sign-in waits for a quiet passkey the
// browser has not finished making: enough for a password manager that has
// just filled the password, too short to be felt. After it the request is
// aborted; it never holds the sign-in or another ceremony.
const GRACE_MS = 1000

let quiet = null // the conditional create in flight, and its binding

/**
 * upgrade starts the quiet creation, or shows the offer ('offer'), unless
 * the person has a passkey, dismissed the offer lately, or the browser has
 * no WebAuthn ('skip'). It throws the API's answer when the server wants a
 * second factor verified first.
 */
export async function upgrade(state) {
  if (!webauthn.supported || dismissedLately()) return 'skip'
  const silent = (await webauthn.capabilities()).conditionalCreate === true
  let options
  try {
    options = await api('POST', REGISTER, silent ? { mediation: 'conditional' } : {})
  } catch (e) {
    if (e.code === 'session.mfa.require_mfa_verification' || e.code === 'session.not_found') throw e
    return 'skip'
  }
  if (options.excludeCredentials.length > 0) return 'skip' // a passkey already
  if (silent) {
    quiet = webauthn
      .createQuietly(options)
      .then((cred) => cred && api('POST', '/api/interaction/bind-mfa', webauthn.toJSON(cred)))
      .catch(() => {})
    return 'started'
  }
  go('passkey-offer', { ...state, offer: options })
  return 'offer'
}

/** settle gives a quiet creation GRACE_MS to finish, then aborts it. */
export async function settle() {
  if (!quiet) return
  const pending = quiet
  quiet = null
  await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, GRACE_MS))])
  webauthn.abortBackground()
}

/** dismiss remembers, on this device, that the person said "not now". */
export function dismiss() {
  try {
    localStorage.setItem(DISMISSED, String(Date.now()))
  } catch {
    // Storage refused (private mode): the offer may come back.
  }
}

function dismissedLately() {
  try {
    return Date.now() - Number(localStorage.getItem(DISMISSED) || 0) < DISMISS_MS
  } catch {
    return false
  }
}
