// step-signin.js: the sign-in step. A password form whose username field
// also offers passkeys in its autofill (conditional mediation), and a
// "Sign in with a passkey" button for a discoverable credential.

import { api } from './api.js'
import { t } from './data.js'
import { fail, passkeyProblem, proceed } from './finish.js'
import { define, ensure, links } from './flow.js'
import { unknownCredential } from './signals.js'
import { notice, onSubmit, showErrors } from './view.js'
import * as webauthn from './webauthn.js'

const OPTIONS = '/api/interaction/verification/webauthn-authentication'

/** kindOf tells what a person typed in the identifier field. */
export function kindOf(value) {
  if (value.includes('@')) return 'email'
  if (/^\+?[\d\s().-]{6,}$/.test(value)) return 'phone'
  return 'username'
}

define('sign-in', (section, state) => {
  notice(section, state.notice ? t(state.notice) : '')
  links(section, state)
  const form = section.querySelector('form')
  const button = section.querySelector('[data-passkey]')
  const ready = ensure('SignIn')
  // The options are fetched before any click: the click handler must start
  // the ceremony at once (Safari needs the gesture), and the autofill needs
  // them too. Both answer the one ceremony kept in the interaction.
  let options = null

  async function prepare() {
    options = null
    await ready
    options = await api('POST', OPTIONS, {})
    if (await webauthn.autofillAvailable()) listen(options)
  }

  async function listen(opts) {
    const cred = await webauthn.autofill(opts)
    if (cred && options === opts && section.isConnected) usePasskey(cred, opts)
  }

  async function usePasskey(cred, opts) {
    try {
      await api('PATCH', '/api/interaction/identifiers', { passkey: webauthn.toJSON(cred) })
    } catch (e) {
      if (e.code === 'session.mfa.webauthn_credential_not_found') unknownCredential(opts.rpId, cred.id)
      fail(section, e, state)
      if (section.isConnected) prepare().catch((e) => fail(section, e, state))
      return
    }
    await proceed({ ...state, identifiedBy: 'passkey' }).catch((e) => fail(section, e, state))
  }

  if (webauthn.supported) {
    button.hidden = false
    prepare().catch((e) => fail(section, e, state))
    button.addEventListener('click', () => {
      const opts = options
      if (!opts) return
      webauthn.get(opts).then(
        (cred) => usePasskey(cred, opts),
        (e) => {
          showErrors(section, [{ text: passkeyProblem(e) }])
          listen(opts) // nothing reached the server: the ceremony still stands
        },
      )
    })
  } else {
    ready.catch((e) => fail(section, e, state))
  }
  // "or" only when there is something else to do.
  section.querySelector('[data-alternatives]').hidden = button.hidden && !section.querySelector('[data-go=code]')

  onSubmit(form, async () => {
    const identifier = form.elements.identifier.value.trim()
    const password = form.elements.password.value
    const missing = []
    if (!identifier) missing.push({ field: 'identifier', text: t('js.required.identifier') })
    if (!password) missing.push({ field: 'password', text: t('js.required.password') })
    if (missing.length) return showErrors(section, missing)
    webauthn.abortBackground() // the person chose the password over the autofill
    try {
      await ready
      await api('PATCH', '/api/interaction/identifiers', { [kindOf(identifier)]: identifier, password })
    } catch (e) {
      fail(section, e, state, e.code === 'session.invalid_credentials' ? 'password' : 'identifier')
      if (options && section.isConnected) listen(options)
      return
    }
    await proceed({ ...state, identifiedBy: 'password' }).catch((e) => fail(section, e, state))
  })
})
