// flow.js: the steps of the hosted pages, their URLs and the browser
// history, and the interaction the page drives.

import { data } from './data.js'
import { api } from './api.js'
import { render } from './view.js'
import { abortBackground } from './webauthn.js'

const steps = new Map()

// The first step of each flow, and the flow each first step belongs to.
const firstStep = { 'sign-in': 'sign-in', register: 'register', 'forgot-password': 'forgot' }
const flowOf = { 'sign-in': 'sign-in', register: 'register', forgot: 'forgot-password' }

/** define registers what a step does when it is shown: enter(section, state). */
export function define(name, enter) {
  steps.set(name, enter)
}

function url(step, state) {
  const path = flowOf[step] ? '/' + flowOf[step] : '/' + state.flow + '/' + step
  return path + location.search
}

/**
 * go shows step with state, a plain object kept in the browser history (so
 * Back shows the step before with what it knew). A flow's first step starts
 * that flow afresh, keeping only a notice and an asked-for binding.
 */
export function go(step, state = {}, { replace = false, focus = true } = {}) {
  if (flowOf[step]) state = { flow: flowOf[step], notice: state.notice, bind: state.bind }
  history[replace ? 'replaceState' : 'pushState']({ step, state }, '', url(step, state))
  show(step, state, focus)
}

function show(step, state, focus) {
  // A conditional request belongs to the step that started it (the
  // autofill of the sign-in form); a quiet passkey creation ends before
  // any step follows it.
  abortBackground()
  steps.get(step)(render(step, { focus }), state)
}

addEventListener('popstate', (e) => {
  if (e.state?.step) show(e.state.step, e.state.state, true)
  else start()
})

/**
 * start shows the first step of the page's flow. A reload or a link to a
 * later step starts there too: what that step needed left with the history.
 */
export function start(extra = {}) {
  go(firstStep[data.flow], { flow: data.flow, ...extra }, { replace: true, focus: false })
}

/** links makes the step's in-page links (data-go) show their step. */
export function links(section, state) {
  for (const a of section.querySelectorAll('[data-go]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault()
      go(a.dataset.go, { ...state, notice: undefined })
    })
  }
}

let joined = data.interaction
let ready = null
let readyEvent = ''

/**
 * ensure makes sure an interaction for event exists: it joins the one the
 * browser brings (the OpenID provider's, or an earlier visit's), changing
 * its event if needed, or starts one.
 */
export function ensure(event) {
  if (ready && readyEvent === event) return ready
  readyEvent = event
  ready = (async () => {
    if (joined) {
      try {
        await api('PUT', '/api/interaction/event', { event })
        return
      } catch (e) {
        if (e.code !== 'session.not_found') throw e
      }
    }
    await api('PUT', '/api/interaction', { event })
    joined = true
  })()
  ready.catch(() => {
    ready = null
  })
  return ready
}

/**
 * restart begins again after the interaction expired or vanished
 * (session.not_found): a fresh interaction, the flow's first step, and a
 * notice saying why.
 */
export function restart() {
  ready = null
  joined = false
  go(firstStep[data.flow], { flow: data.flow, notice: 'js.expired' }, { replace: true })
}
