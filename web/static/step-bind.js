// step-bind.js: binding a second factor, when the tenant asks for one or
// the person (or the application) wants it: an authenticator app (its QR
// code and its key as text), a passkey, and the backup codes shown once;
// and the passkey offer after a password sign-in.

import { api } from './api.js'
import { t } from './data.js'
import { fail, passkeyProblem, proceed } from './finish.js'
import { define, go } from './flow.js'
import { choose } from './step-mfa.js'
import { dismiss } from './upgrade.js'
import { announce, onSubmit, showErrors } from './view.js'
import * as webauthn from './webauthn.js'

const BIND = '/api/interaction/bind-mfa'

define('bind', (section, state) => {
  const factors = state.bindFactors?.length ? state.bindFactors : ['WebAuthn', 'Totp']
  choose(section, factors, (factor) => go(factor === 'Totp' ? 'bind-totp' : 'bind-passkey', state))
  const skip = section.querySelector('[data-skip]')
  skip.hidden = !state.skippable
  skip.addEventListener('click', async () => {
    try {
      await api('PUT', '/api/interaction/mfa-skipped')
    } catch (e) {
      return fail(section, e, state)
    }
    await proceed(state).catch((e) => fail(section, e, state))
  })
})

define('bind-totp', (section, state) => {
  const form = section.querySelector('form')
  const qr = section.querySelector('[data-qr]')
  api('POST', '/api/interaction/verification/totp', {}).then((r) => {
    qr.src = r.secretQrCode
    qr.hidden = false
    // In groups of four, as authenticator apps show keys; they ignore spaces.
    section.querySelector('[data-secret]').textContent = r.secret.match(/.{1,4}/g).join(' ')
  }, (e) => fail(section, e, state))
  onSubmit(form, async () => {
    const code = form.elements.code.value.replace(/\s/g, '')
    if (!/^\d{6}$/.test(code)) return showErrors(section, [{ field: 'code', text: t('js.required.code') }])
    try {
      await api('POST', BIND, { type: 'Totp', code })
    } catch (e) {
      return fail(section, e, state, 'code')
    }
    await proceed({ ...state, bind: null }).catch((e) => fail(section, e, state))
  })
})

// bindPasskey runs a registration from options fetched in advance.
async function bindPasskey(section, state, options) {
  let cred
  try {
    cred = await webauthn.create(options)
  } catch (e) {
    showErrors(section, [{ text: passkeyProblem(e) }])
    return false
  }
  try {
    await api('POST', BIND, webauthn.toJSON(cred))
  } catch (e) {
    fail(section, e, state)
    return false
  }
  await proceed({ ...state, bind: null, offer: null }).catch((e) => fail(section, e, state))
  return true
}

define('bind-passkey', (section, state) => {
  let options = null
  const load = () =>
    api('POST', '/api/interaction/verification/webauthn-registration', {}).then(
      (o) => (options = o),
      (e) => fail(section, e, state),
    )
  load()
  onSubmit(section.querySelector('form'), async () => {
    if (!options) await load()
    if (options && !(await bindPasskey(section, state, options))) load()
  })
})

define('passkey-offer', (section, state) => {
  onSubmit(section.querySelector('form'), () => bindPasskey(section, state, state.offer))
  section.querySelector('[data-dismiss]').addEventListener('click', () => {
    dismiss()
    proceed({ ...state, offer: null }).catch((e) => fail(section, e, state))
  })
})

define('backup-codes', (section, state) => {
  const form = section.querySelector('form')
  const download = section.querySelector('[data-download]')
  let codes = []
  api('POST', '/api/interaction/verification/backup-codes', {}).then((r) => {
    codes = r.codes
    section.querySelector('[data-codes]').replaceChildren(
      ...codes.map((c) => Object.assign(document.createElement('li'), { textContent: c })),
    )
    download.href = URL.createObjectURL(new Blob([codes.join('\n') + '\n'], { type: 'text/plain' }))
  }, (e) => fail(section, e, state))
  section.querySelector('[data-copy]').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'))
      announce(t('js.copied'))
    } catch {
      announce(t('js.copyFailed'))
    }
  })
  onSubmit(form, async () => {
    if (!form.elements.saved.checked) return showErrors(section, [{ field: 'saved', text: t('js.required.saved') }])
    try {
      await api('POST', BIND, { type: 'BackupCode' })
    } catch (e) {
      return fail(section, e, state)
    }
    await proceed(state).catch((e) => fail(section, e, state))
  })
})
