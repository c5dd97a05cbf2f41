// step-mfa.js: verifying a second factor the account has: a choice among
// them, then a passkey, a code from an authenticator app, or a backup code.

import { api } from './api.js'
import { t } from './data.js'
import { fail, passkeyProblem, proceed, verifyStep } from './finish.js'
import { define, go, links } from './flow.js'
import { unknownCredential } from './signals.js'
import { onSubmit, showErrors } from './view.js'
import * as webauthn from './webauthn.js'

/** choose shows only the factors in factors, and answers the chosen one on submit. */
export function choose(section, factors, next) {
  for (const el of section.querySelectorAll('[data-factor]')) el.hidden = !factors.includes(el.dataset.factor)
  const form = section.querySelector('form')
  onSubmit(form, () => {
    const checked = form.querySelector('[data-factor]:not([hidden]) input:checked')
    if (!checked) {
      const first = form.querySelector('[data-factor]:not([hidden]) input')
      return showErrors(section, [{ field: first.id, errorId: 'factor-error', text: t('js.required.factor') }])
    }
    next(checked.value)
  })
}

function otherWay(section, state) {
  const p = section.querySelector('[data-other-way]')
  p.hidden = (state.factors || []).length < 2
  links(section, state)
}

define('mfa', (section, state) => {
  choose(section, state.factors || [], (factor) => go(verifyStep[factor], state))
})

function codeStep(type) {
  return (section, state) => {
    otherWay(section, state)
    const form = section.querySelector('form')
    const input = form.querySelector('input')
    onSubmit(form, async () => {
      const code = input.value.trim()
      if (type === 'Totp' ? !/^\d{6}$/.test(code.replace(/\s/g, '')) : !code) {
        return showErrors(section, [{ field: input.id, text: t(type === 'Totp' ? 'js.required.code' : 'js.required.backupCode') }])
      }
      try {
        await api('PUT', '/api/interaction/mfa', { type, code: type === 'Totp' ? code.replace(/\s/g, '') : code })
      } catch (e) {
        return fail(section, e, state, input.id)
      }
      await proceed(state).catch((e) => fail(section, e, state))
    })
  }
}

define('mfa-totp', codeStep('Totp'))
define('mfa-backup-code', codeStep('BackupCode'))

define('mfa-passkey', (section, state) => {
  otherWay(section, state)
  let options = null
  const load = () =>
    api('POST', '/api/interaction/verification/webauthn-authentication', {}).then(
      (o) => (options = o),
      (e) => fail(section, e, state),
    )
  load()
  onSubmit(section.querySelector('form'), async () => {
    if (!options) await load()
    const opts = options
    if (!opts) return
    let cred
    try {
      cred = await webauthn.get(opts)
    } catch (e) {
      return showErrors(section, [{ text: passkeyProblem(e) }])
    }
    options = null
    try {
      await api('PUT', '/api/interaction/mfa', webauthn.toJSON(cred))
    } catch (e) {
      if (e.code === 'session.mfa.webauthn_credential_not_found') unknownCredential(opts.rpId, cred.id)
      fail(section, e, state)
      load() // the ceremony is spent
      return
    }
    await proceed(state).catch((e) => fail(section, e, state))
  })
})
