// view.js: puts a step on the page, and shows errors the GOV.UK way: a
// summary at the top, announced and focused, linking to each field's own
// message, which is tied to its input by aria-describedby.

const main = document.getElementById('main')
const live = document.getElementById('status')

/**
 * render shows a step: the section the server rendered, the first time, or
 * a fresh copy of the step's template. Focus moves to the new heading, so
 * that a screen reader announces where the person is.
 */
export function render(step, { focus = true } = {}) {
  let section = main.querySelector(`:scope > [data-step="${step}"]`)
  if (section && !section.dataset.used) {
    for (const el of [...main.children]) if (el !== section) el.remove()
  } else {
    main.replaceChildren(document.getElementById('step-' + step).content.cloneNode(true))
    section = main.querySelector('[data-step]')
  }
  section.dataset.used = 'true'
  if (focus) section.querySelector('h1').focus()
  return section
}

/** announce says text in the polite live region. */
export function announce(text) {
  live.textContent = text
}

/** notice shows text (or hides the notice, for '') at the top of a step. */
export function notice(section, text) {
  const el = section.querySelector('.notice')
  if (!el) return
  el.textContent = text
  el.hidden = !text
}

/**
 * showErrors lists errors ({field?, errorId?, text}) in the step's summary,
 * each linked to its input, shows each field's message and marks the input
 * invalid. field is the input's id; errorId defaults to field + '-error'.
 */
export function showErrors(section, errors) {
  clearErrors(section)
  const summary = section.querySelector('.error-summary')
  const list = summary.querySelector('ul')
  for (const { field, errorId, text } of errors) {
    const li = document.createElement('li')
    const input = field ? section.querySelector('#' + CSS.escape(field)) : null
    if (input) {
      const a = document.createElement('a')
      a.href = '#' + field
      a.textContent = text
      a.addEventListener('click', (e) => {
        e.preventDefault()
        input.focus()
      })
      li.append(a)
      const msg = section.querySelector('#' + CSS.escape(errorId || field + '-error'))
      if (msg) {
        msg.textContent = text
        msg.hidden = false
        describe(input, msg.id, true)
      }
      input.setAttribute('aria-invalid', 'true')
    } else {
      li.textContent = text
    }
    list.append(li)
  }
  summary.hidden = false
  summary.focus()
}

/** clearErrors removes every error shown on a step. */
export function clearErrors(section) {
  const summary = section.querySelector('.error-summary')
  if (summary) {
    summary.hidden = true
    summary.querySelector('ul').replaceChildren()
  }
  for (const msg of section.querySelectorAll('.field-error')) {
    msg.hidden = true
    msg.textContent = ''
  }
  for (const input of section.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid')
    for (const id of (input.getAttribute('aria-describedby') || '').split(/\s+/)) {
      if (id.endsWith('-error')) describe(input, id, false)
    }
  }
}

function describe(input, id, on) {
  const ids = new Set((input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean))
  if (on) ids.add(id)
  else ids.delete(id)
  if (ids.size) input.setAttribute('aria-describedby', [...ids].join(' '))
  else input.removeAttribute('aria-describedby')
}

/**
 * onSubmit runs fn for each submit of form, one at a time: while it runs the
 * form is busy and further submits are ignored. fn is called synchronously
 * within the event, so a WebAuthn ceremony it starts first keeps the
 * person's gesture (Safari needs it).
 */
export function onSubmit(form, fn) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    if (form.getAttribute('aria-busy') === 'true') return
    form.setAttribute('aria-busy', 'true')
    const buttons = [...form.querySelectorAll('button')]
    for (const b of buttons) b.setAttribute('aria-disabled', 'true')
    try {
      await fn()
    } finally {
      form.removeAttribute('aria-busy')
      for (const b of buttons) b.removeAttribute('aria-disabled')
    }
  })
}
