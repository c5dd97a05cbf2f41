// finish.js: what comes after a step. The server's answers say what is
// still missing (a second factor to verify, one to bind, backup codes);
// when nothing is, the interaction is submitted and the browser goes back
// to the application.

import { ApiError, api, messageOf } from './api.js'
import { t } from './data.js'
import { define, go, restart } from './flow.js'
import { afterSignIn } from './signals.js'
import { settle, upgrade } from './upgrade.js'
import { announce, showErrors } from './view.js'
import * as webauthn from './webauthn.js'

/** verifyStep is the step that checks each kind of second factor. */
export const verifyStep = { WebAuthn: 'mfa-passkey', Totp: 'mfa-totp', BackupCode: 'mfa-backup-code' }

const usable = (factors = []) => factors.filter((f) => verifyStep[f] && (f !== 'WebAuthn' || webauthn.supported))

/**
 * proceed is called when a step has what it asked for. It binds a factor
 * the application asked for, offers a passkey after a password, and
 * submits.
 */
export async function proceed(state) {
  try {
    if (state.bind) return go(state.bind === 'Totp' ? 'bind-totp' : 'bind-passkey', state)
    if (state.identifiedBy === 'password' && !state.upgradeTried) {
      if ((await upgrade({ ...state, upgradeTried: true })) === 'offer') return
      state = { ...state, upgradeTried: true }
    }
    await submit(state)
  } catch (e) {
    if (!route(e, state)) throw e
  }
}

async function submit(state) {
  await settle()
  announce(t('js.signingIn'))
  const res = await api('POST', '/api/interaction/submit')
  if (res === null) return go('reset-done', state) // a reset signs nobody in
  go('done', state, { replace: true })
  await afterSignIn()
  location.assign(res.redirectTo)
}

/**
 * route shows the step an API answer asks for, and reports whether it did:
 * a second factor to verify or to bind, backup codes, or a fresh start
 * when the interaction is gone.
 */
export function route(e, state) {
  if (!(e instanceof ApiError)) return false
  const d = e.details || {}
  switch (e.code) {
    case 'session.not_found':
      restart()
      return true
    case 'session.mfa.require_mfa_verification': {
      const factors = usable(d.availableFactors)
      if (factors.length === 0) return false
      state = { ...state, factors }
      go(factors.length === 1 ? verifyStep[factors[0]] : 'mfa', state)
      return true
    }
    case 'user.missing_mfa':
      go('bind', { ...state, bindFactors: usable(d.availableFactors), skippable: !!d.skippable })
      return true
    case 'session.mfa.backup_code_required':
      go('backup-codes', state)
      return true
  }
  return false
}

/**
 * fail shows an error on a step: the step the answer asks for, or the
 * message, tied to field (an input id) when one is given.
 */
export function fail(section, err, state, field) {
  if (route(err, state)) return
  if (!(err instanceof ApiError)) console.error(err)
  showErrors(section, [{ field, text: messageOf(err) }])
}

/** passkeyProblem is what to say when the browser's ceremony failed. */
export function passkeyProblem(err) {
  if (err?.name === 'InvalidStateError') return t('js.passkeyExists')
  if (err?.name === 'NotAllowedError' || err?.name === 'AbortError') return t('js.passkeyCancelled')
  return t('js.passkeyFailed')
}

define('done', () => {})
