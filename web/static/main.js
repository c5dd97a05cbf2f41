// main.js: the hosted pages' entry. It registers every step and shows the
// first step of the page's flow.

import { data } from './data.js'
import { start } from './flow.js'
import './step-signin.js'
import './step-code.js'
import './step-register.js'
import './step-mfa.js'
import './step-bind.js'

// An application on this origin (the demo app) may ask for a second factor
// to be bound during this sign-in ("Add a passkey").
const bind = sessionStorage.getItem('foyer.bind')
sessionStorage.removeItem('foyer.bind')
start(data.flow === 'sign-in' && (bind === 'Totp' || bind === 'WebAuthn') ? { bind } : {})

performance.mark('foyer:interactive')
document.documentElement.dataset.ready = 'true'
