// oidc.js: a public client of OpenID Connect in the browser: discovery,
// the authorization code flow with PKCE (RFC 7636, S256), and the checks
// of an ID token (OIDC Core §3.1.3.7), its signature verified with Web
// Crypto against the provider's JWKS.

const enc = new TextEncoder()

function b64u(bytes) {
  let bin = ''
  for (const b of new Uint8Array(bytes)) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function unb64u(s) {
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
}

/** random is n random bytes, base64url: verifiers, state and nonces. */
export function random(n = 32) {
  return b64u(crypto.getRandomValues(new Uint8Array(n)))
}

/** challenge is the S256 code challenge of a verifier. */
export async function challenge(verifier) {
  return b64u(await crypto.subtle.digest('SHA-256', enc.encode(verifier)))
}

/** discover reads the provider's metadata; null when there is no provider. */
export async function discover(issuer) {
  const res = await fetch(issuer + '/.well-known/openid-configuration', { headers: { Accept: 'application/json' } })
  if (res.status === 404) return null
  if (!res.ok) throw new Error(`discovery: HTTP ${res.status}`)
  const conf = await res.json()
  if (conf.issuer !== issuer) throw new Error('discovery: issuer mismatch')
  return conf
}

/** authURL is the authorization request for params. */
export function authURL(conf, params) {
  const u = new URL(conf.authorization_endpoint)
  for (const [k, v] of Object.entries(params)) if (v) u.searchParams.set(k, v)
  return u.toString()
}

/** exchange trades an authorization code for tokens. */
export async function exchange(conf, { code, verifier, redirectUri, clientId }) {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier })
  const res = await fetch(conf.token_endpoint, { method: 'POST', body, headers: { Accept: 'application/json' } })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(`token: ${json.error || res.status} ${json.error_description || ''}`.trim())
  return json
}

const algorithms = {
  RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
  PS256: [{ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
  ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  ES384: [{ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
  EdDSA: [{ name: 'Ed25519' }, { name: 'Ed25519' }],
}

/**
 * verifyIDToken checks an ID token's signature, issuer, audience (a single
 * string: the client), expiry and nonce, and answers its claims.
 */
export async function verifyIDToken(conf, token, { clientId, nonce }) {
  const [h, p, s] = token.split('.')
  const header = JSON.parse(new TextDecoder().decode(unb64u(h)))
  const claims = JSON.parse(new TextDecoder().decode(unb64u(p)))
  const alg = algorithms[header.alg]
  if (!alg) throw new Error(`id_token: unsupported alg ${header.alg}`)
  const { keys } = await (await fetch(conf.jwks_uri)).json()
  const jwk = keys.find((k) => k.kid === header.kid) ?? (keys.length === 1 ? keys[0] : null)
  if (!jwk) throw new Error('id_token: no key for its kid')
  const key = await crypto.subtle.importKey('jwk', jwk, alg[0], false, ['verify'])
  if (!(await crypto.subtle.verify(alg[1], key, unb64u(s), enc.encode(h + '.' + p)))) throw new Error('id_token: bad signature')
  if (claims.iss !== conf.issuer) throw new Error('id_token: wrong issuer')
  if (typeof claims.aud !== 'string' || claims.aud !== clientId) throw new Error('id_token: aud must be the string ' + clientId)
  if (!(claims.exp * 1000 > Date.now())) throw new Error('id_token: expired')
  if (claims.nonce !== nonce) throw new Error('id_token: wrong nonce')
  return claims
}
