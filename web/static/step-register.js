// step-register.js: sign-up with the fields the tenant asks for; contacts
// the tenant wants proven get a one-time code first; where the tenant
// allows it, a passkey may stand in for the password.

import { api } from './api.js'
import { data, t } from './data.js'
import { fail, passkeyProblem, proceed } from './finish.js'
import { define, ensure, go, links } from './flow.js'
import { send } from './step-code.js'
import { notice, onSubmit, showErrors } from './view.js'
import * as webauthn from './webauthn.js'

// The field (input id) each refusal of the profile belongs to.
const fieldOf = {
  'user.username_already_in_use': 'username',
  'user.email_already_in_use': 'email',
  'user.phone_already_in_use': 'phone',
  'password.rejected': 'new-password',
  'user.missing_profile': null,
}

function errorField(e) {
  if (fieldOf[e.code]) return fieldOf[e.code]
  const f = e.details?.fields?.[0]?.field ?? e.details?.missingProfile?.[0]
  return f === 'password' ? 'new-password' : f
}

define('register', (section, state) => {
  notice(section, state.notice ? t(state.notice) : '')
  links(section, state)
  const form = section.querySelector('form')
  const ready = ensure('Register')
  ready.catch((e) => fail(section, e, state))
  const value = (name) => form.elements[name]?.value.trim() ?? ''

  // read checks the fields and answers the profile to send, or null.
  function read(withPassword) {
    const missing = []
    for (const [name, id] of [['username', 'username'], ['email', 'email'], ['phone', 'phone']]) {
      if (form.elements[name] && !value(name)) missing.push({ field: id, text: t('js.required.' + name) })
    }
    if (withPassword && form.elements.password && !form.elements.password.value) {
      missing.push({ field: 'new-password', text: t('js.required.newPassword') })
    }
    if (missing.length) {
      showErrors(section, missing)
      return null
    }
    const profile = {}
    for (const name of ['username', 'email', 'phone']) {
      // Contacts to be proven are set by their code, not here.
      if (value(name) && !(data.signUp.verify && name !== 'username')) profile[name] = value(name)
    }
    if (withPassword && form.elements.password) profile.password = form.elements.password.value
    return profile
  }

  async function finish() {
    const toVerify = []
    for (const channel of ['email', 'phone']) {
      if (data.signUp.verify && value(channel)) toVerify.push({ channel, recipient: value(channel) })
    }
    if (toVerify.length) {
      const [first, ...rest] = toVerify
      try {
        await send(first)
      } catch (e) {
        return fail(section, e, state, first.channel)
      }
      return go('verify-code', { ...state, purpose: 'register', ...first, toVerify: rest })
    }
    await proceed(state).catch((e) => fail(section, e, state, errorField(e)))
  }

  onSubmit(form, async () => {
    const profile = read(true)
    if (!profile) return
    try {
      await ready
      await api('PATCH', '/api/interaction/profile', profile)
    } catch (e) {
      return fail(section, e, state, errorField(e))
    }
    await finish()
  })

  const passkey = section.querySelector('[data-passkey]')
  if (passkey && webauthn.supported) {
    passkey.hidden = false
    passkey.addEventListener('click', async () => {
      const profile = read(false)
      if (!profile) return
      let cred
      try {
        await ready
        await api('PATCH', '/api/interaction/profile', profile)
        const options = await api('POST', '/api/interaction/verification/webauthn-registration', {})
        try {
          cred = await webauthn.create(options)
        } catch (e) {
          return showErrors(section, [{ text: passkeyProblem(e) }])
        }
        await api('POST', '/api/interaction/bind-mfa', webauthn.toJSON(cred))
      } catch (e) {
        return fail(section, e, state, errorField(e))
      }
      await finish()
    })
  }
})
