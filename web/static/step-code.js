// step-code.js: one-time codes. Asking for a code (to sign in, or to reset
// a password), entering it, and the new password a reset then sets.

import { api } from './api.js'
import { t } from './data.js'
import { fail, proceed } from './finish.js'
import { define, ensure, go, links } from './flow.js'
import { notice, onSubmit, showErrors } from './view.js'

/** send sends a one-time code to {channel: 'email'|'phone', recipient}. */
export function send({ channel, recipient }) {
  return api('POST', '/api/interaction/verification/verification-code', { [channel]: recipient })
}

function requestStep(purpose, event) {
  return (section, state) => {
    notice(section, state.notice ? t(state.notice) : '')
    links(section, state)
    const form = section.querySelector('form')
    const ready = ensure(event)
    ready.catch((e) => fail(section, e, state))
    onSubmit(form, async () => {
      const email = form.elements.email?.value.trim() ?? ''
      const phone = form.elements.phone?.value.trim() ?? ''
      if (!email && !phone) {
        return showErrors(section, [{ field: form.elements.email ? 'email' : 'phone', text: t('js.required.recipient') }])
      }
      const to = email ? { channel: 'email', recipient: email } : { channel: 'phone', recipient: phone }
      try {
        await ready
        await send(to)
      } catch (e) {
        return fail(section, e, state, to.channel)
      }
      go('verify-code', { ...state, purpose, ...to })
    })
  }
}

define('code', requestStep('sign-in', 'SignIn'))
define('forgot', requestStep('forgot', 'ForgotPassword'))

define('verify-code', (section, state) => {
  const form = section.querySelector('form')
  section.querySelector('[data-sent-to]').textContent = t('js.codeSent', { recipient: state.recipient })
  section.querySelector('[data-resend]').addEventListener('click', async () => {
    try {
      await send(state)
      notice(section, t('js.codeResent'))
    } catch (e) {
      fail(section, e, state)
    }
  })
  onSubmit(form, async () => {
    const code = form.elements.code.value.replace(/\s/g, '')
    if (!/^\d{6}$/.test(code)) return showErrors(section, [{ field: 'code', text: t('js.required.code') }])
    try {
      await api('PATCH', '/api/interaction/identifiers', { [state.channel]: state.recipient, verificationCode: code })
    } catch (e) {
      return fail(section, e, state, 'code')
    }
    if (state.purpose === 'forgot') return go('new-password', state)
    if (state.purpose === 'register') {
      // A sign-up may have more than one contact to prove.
      const [next, ...rest] = state.toVerify || []
      if (next) {
        try {
          await send(next)
        } catch (e) {
          return fail(section, e, state)
        }
        return go('verify-code', { ...state, ...next, toVerify: rest })
      }
      return proceed(state).catch((e) => fail(section, e, state))
    }
    await proceed({ ...state, identifiedBy: 'code' }).catch((e) => fail(section, e, state))
  })
})

define('new-password', (section, state) => {
  const form = section.querySelector('form')
  onSubmit(form, async () => {
    const password = form.elements.password.value
    if (!password) return showErrors(section, [{ field: 'new-password', text: t('js.required.newPassword') }])
    try {
      await api('PATCH', '/api/interaction/profile', { password })
    } catch (e) {
      return fail(section, e, state, 'new-password')
    }
    await proceed(state).catch((e) => fail(section, e, state, 'new-password'))
  })
})

define('reset-done', (section, state) => links(section, state))
