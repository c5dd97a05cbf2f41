// data.js: the page's data block (tenant choices, language) and its texts.

const block = document.getElementById('foyer-data')

/** data is what the server put in the page's JSON data block. */
export const data = JSON.parse(block.textContent)

/** t returns the text of key in the page's language, its {name} placeholders filled from params. */
export function t(key, params = {}) {
  const text = data.messages[key] ?? key
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m))
}

/** has reports whether the catalogue has a text for key. */
export function has(key) {
  return Object.hasOwn(data.messages, key)
}
