// demo.js: the demo app of dev mode. A single-page application signing in
// with the tenant's own OpenID provider as the public client "demo"
// (authorization code + PKCE), showing who signed in and how (amr), adding
// a second factor through the hosted pages, and signing out through the
// provider's end_session endpoint.

import { api } from './api.js'
import { data, t } from './data.js'
import * as oidc from './oidc.js'
import { showErrors } from './view.js'

const issuer = location.origin + '/oidc'
const redirectUri = location.origin + '/demo/callback'
const section = document.querySelector('.step')
const TOKENS = 'demo.tokens'
const PENDING = 'demo.pending'

function view(name) {
  for (const el of section.querySelectorAll('[data-view]')) el.hidden = el.dataset.view !== name
}

function problem(text) {
  view('out')
  showErrors(section, [{ text }])
}

async function provider() {
  const conf = await oidc.discover(issuer)
  if (!conf) throw new Error(t('js.demo.noProvider'))
  return conf
}

async function signIn(extra = {}) {
  view('busy')
  try {
    const conf = await provider()
    const pending = { verifier: oidc.random(), state: oidc.random(16), nonce: oidc.random(16) }
    sessionStorage.setItem(PENDING, JSON.stringify(pending))
    location.assign(oidc.authURL(conf, {
      response_type: 'code', client_id: data.clientId, redirect_uri: redirectUri, scope: 'openid profile email',
      state: pending.state, nonce: pending.nonce, code_challenge: await oidc.challenge(pending.verifier),
      code_challenge_method: 'S256', ui_locales: data.locale, ...extra,
    }))
  } catch (e) {
    problem(e.message)
  }
}

async function callback() {
  const q = new URLSearchParams(location.search)
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null')
  sessionStorage.removeItem(PENDING)
  history.replaceState(null, '', '/')
  if (q.get('error')) throw new Error(q.get('error_description') || q.get('error'))
  if (!pending || q.get('state') !== pending.state) throw new Error(t('js.demo.stateMismatch'))
  const conf = await provider()
  const tokens = await oidc.exchange(conf, { code: q.get('code'), verifier: pending.verifier, redirectUri, clientId: data.clientId })
  const claims = await oidc.verifyIDToken(conf, tokens.id_token, { clientId: data.clientId, nonce: pending.nonce })
  sessionStorage.setItem(TOKENS, JSON.stringify({ idToken: tokens.id_token, claims }))
}

async function signOut() {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS) || 'null')
  sessionStorage.removeItem(TOKENS)
  view('busy')
  try {
    const conf = await provider()
    const u = new URL(conf.end_session_endpoint)
    if (tokens) u.searchParams.set('id_token_hint', tokens.idToken)
    u.searchParams.set('client_id', data.clientId)
    u.searchParams.set('post_logout_redirect_uri', location.origin + '/')
    u.searchParams.set('state', oidc.random(16))
    location.assign(u.toString())
  } catch (e) {
    problem(e.message)
  }
}

function row(list, name, value) {
  list.append(Object.assign(document.createElement('dt'), { textContent: name }), Object.assign(document.createElement('dd'), { textContent: value }))
}

async function show() {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS) || 'null')
  if (!tokens) {
    view('out')
    try {
      const s = await api('GET', '/api/session')
      const el = section.querySelector('[data-session]')
      el.textContent = t('js.demo.session', { name: s.user.username || s.user.primaryEmail || s.user.id })
      el.hidden = false
    } catch {
      // Nobody signed in to Foyer on this browser.
    }
    return
  }
  const c = tokens.claims
  const list = section.querySelector('[data-claims]')
  list.replaceChildren()
  row(list, 'sub', c.sub)
  for (const k of ['preferred_username', 'name', 'email', 'iss', 'aud']) if (c[k]) row(list, k, c[k])
  if (c.auth_time) row(list, 'auth_time', new Date(c.auth_time * 1000).toLocaleString(data.locale))
  section.querySelector('[data-amr]').replaceChildren(...(c.amr || []).map((m) => Object.assign(document.createElement('li'), { textContent: m })))
  section.querySelector('[data-raw]').textContent = JSON.stringify(c, null, 2)
  view('in')
}

section.querySelector('[data-sign-in]').addEventListener('click', () => signIn())
section.querySelector('[data-sign-out]').addEventListener('click', signOut)
for (const b of section.querySelectorAll('[data-add]')) {
  b.addEventListener('click', () => {
    // The hosted sign-in page, on this same origin, binds it after sign-in.
    sessionStorage.setItem('foyer.bind', b.dataset.add)
    signIn({ prompt: 'login' })
  })
}

try {
  if (location.pathname === '/demo/callback') await callback()
} catch (e) {
  problem(e.message)
}
await show()
performance.mark('foyer:interactive')
document.documentElement.dataset.ready = 'true'
