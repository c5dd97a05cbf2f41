// api.js: calls Foyer's public API, and turns its error envelope
// ({code, message, details}) into an ApiError and a message a person can read.

import { data, t, has } from './data.js'

export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = 0) {
    super(body.message || `HTTP ${status}`)
    this.status = status
    this.code = body.code || ''
    this.details = body.details
    this.retryAfter = retryAfter
  }
}

/** api sends a JSON request and answers the JSON body (null for 204), or throws an ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'Accept-Language': data.locale }
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' }
  if (method !== 'GET') {
    // State changes must be JSON, even without a body: the server's CSRF rule.
    headers['Content-Type'] = 'application/json'
    if (body !== undefined) init.body = JSON.stringify(body)
  }
  let res
  try {
    res = await fetch(path, init)
  } catch {
    throw new ApiError(0, { code: 'network' })
  }
  if (res.status === 204) return null
  let json = {}
  try {
    json = await res.json()
  } catch {
    // Not JSON: a proxy's error page. The status says enough.
  }
  if (!res.ok) throw new ApiError(res.status, json, Number(res.headers.get('Retry-After')) || 0)
  return json
}

/**
 * messageOf is what to tell a person about err: the catalogue's text for its
 * code (and for a rejected password or field, for the rule broken), else the
 * server's own message.
 */
export function messageOf(err) {
  if (!(err instanceof ApiError)) return t('error.unknown')
  let msg
  const issue = err.details?.issues?.[0]
  const field = err.details?.fields?.[0]
  if (err.code === 'password.rejected' && issue && has('js.password.' + issue.code)) {
    msg = t('js.password.' + issue.code, { param: issue.param })
  } else if (err.code === 'guard.invalid_input' && field && has('js.invalid.' + field.rule)) {
    msg = t('js.invalid.' + field.rule)
  } else if (has('error.' + err.code)) {
    msg = t('error.' + err.code)
  } else {
    msg = err.message || t('error.unknown')
  }
  if (err.retryAfter > 0) msg += ' ' + t('js.retryAfter', { seconds: err.retryAfter })
  return msg
}
