// webauthn.js: WebAuthn options and credentials in their JSON forms
// (W3C WebAuthn L3 §5.1.8-5.1.11), with a small fallback for browsers
// without parse*FromJSON and toJSON(), and the one background request
// (conditional get or create) a page may have in flight.

const PKC = window.PublicKeyCredential

/** supported reports whether this browser has WebAuthn at all. */
export const supported = typeof PKC === 'function' && !!navigator.credentials

const b64u = {
  decode(s) {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer
  },
  encode(buf) {
    let bin = ''
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b)
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  },
}

const ids = (list = []) => list.map((d) => ({ ...d, id: b64u.decode(d.id) }))

function creationOptions(json) {
  if (PKC.parseCreationOptionsFromJSON) return PKC.parseCreationOptionsFromJSON(json)
  return { ...json, challenge: b64u.decode(json.challenge), user: { ...json.user, id: b64u.decode(json.user.id) }, excludeCredentials: ids(json.excludeCredentials) }
}

function requestOptions(json) {
  if (PKC.parseRequestOptionsFromJSON) return PKC.parseRequestOptionsFromJSON(json)
  return { ...json, challenge: b64u.decode(json.challenge), allowCredentials: ids(json.allowCredentials) }
}

/** toJSON is the credential as the server takes it: RegistrationResponseJSON or AuthenticationResponseJSON. */
export function toJSON(cred) {
  if (typeof cred.toJSON === 'function') return cred.toJSON()
  const r = cred.response
  const out = {
    id: cred.id, rawId: b64u.encode(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: b64u.encode(r.clientDataJSON) },
  }
  if (r.attestationObject) {
    out.response.attestationObject = b64u.encode(r.attestationObject)
    out.response.transports = r.getTransports?.() ?? []
  } else {
    out.response.authenticatorData = b64u.encode(r.authenticatorData)
    out.response.signature = b64u.encode(r.signature)
    if (r.userHandle) out.response.userHandle = b64u.encode(r.userHandle)
  }
  return out
}

/** capabilities are the browser's getClientCapabilities(), or {} where it has none. */
export async function capabilities() {
  try {
    return (await PKC?.getClientCapabilities?.()) ?? {}
  } catch {
    return {}
  }
}

/** autofillAvailable reports whether passkeys can be offered in the username field's autofill. */
export async function autofillAvailable() {
  try {
    return supported && (await PKC.isConditionalMediationAvailable?.()) === true
  } catch {
    return false
  }
}

let background = null // AbortController of the conditional request in flight

/**
 * abortBackground ends the conditional request in flight, if any. Every
 * modal ceremony calls it first: a browser runs one WebAuthn request at a
 * time, and the conditional one would make the modal one fail.
 */
export function abortBackground() {
  if (!background) return
  background.abort(new DOMException('Another ceremony starts', 'AbortError'))
  background = null
}

function backgroundSignal() {
  abortBackground()
  background = new AbortController()
  return background.signal
}

// settled forgets the background request once it is over.
function settled(signal) {
  if (background?.signal === signal) background = null
}

/**
 * autofill waits for the person to pick a passkey from the username field's
 * autofill (conditional mediation). It answers null when aborted, or when
 * the browser refuses (no passkey for this site).
 */
export async function autofill(options) {
  const signal = backgroundSignal()
  try {
    return await navigator.credentials.get({ mediation: 'conditional', publicKey: requestOptions(options), signal })
  } catch {
    return null
  } finally {
    settled(signal)
  }
}

/** get runs a modal assertion; call it before any await in a click handler. */
export function get(options) {
  abortBackground()
  return navigator.credentials.get({ publicKey: requestOptions(options) })
}

/** create runs a modal registration; call it before any await in a click handler. */
export function create(options) {
  abortBackground()
  return navigator.credentials.create({ publicKey: creationOptions(options) })
}

/**
 * createQuietly starts a conditional create: the browser makes a passkey
 * without a dialog if the person has just used its password manager here,
 * and otherwise never answers. It resolves to the credential or null, and is
 * aborted by abortBackground.
 */
export function createQuietly(options) {
  const signal = backgroundSignal()
  return navigator.credentials
    .create({ mediation: 'conditional', publicKey: creationOptions(options), signal })
    .catch(() => null)
    .finally(() => settled(signal))
}
