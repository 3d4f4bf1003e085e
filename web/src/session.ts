/**
 * Who is logged in. The session itself is the gateway's HttpOnly cookie (scripts never see the
 * token); this module only knows the account it belongs to, asking GET /api/v1/me when unsure.
 */
import { reactive, readonly } from 'vue'
import { api, unwrap, whenSessionExpires } from './api/client'
import type { components } from './api/schema'

export type Account = components['schemas']['Account']

// The session routes require the CSRF proof in their contract (the client adds it to every unsafe call).
const CSRF = { 'X-HGRIP-CSRF': '1' } as const

const state = reactive({ account: null as Account | null, loaded: false, expired: false })

export const session = readonly(state)

/** The account behind the cookie, asked once per page load (null when not logged in). The
 * question route answers 200 either way, so a visitor's first page logs no error. */
export async function loadSession(): Promise<Account | null> {
  if (state.loaded) return state.account
  const answer = await unwrap(api.GET('/api/v1/auth/session'))
  state.account = answer.authenticated ? (answer.account as Account) : null
  state.loaded = true
  return state.account
}

export async function login(username: string, password: string): Promise<Account> {
  const account = await unwrap(api.POST('/api/v1/auth/session', { params: { header: CSRF }, body: { username, password } }))
  state.account = account as Account
  state.loaded = true
  state.expired = false
  return state.account
}

export async function logout(): Promise<void> {
  try {
    await unwrap(api.DELETE('/api/v1/auth/session', { params: { header: CSRF } }))
  } finally {
    state.account = null
    state.loaded = true
  }
}

/** The gateway refused the cookie mid-session: forget the account and let the router send the
 * person to the login page (with a message, and back here afterwards). */
export function expire(): void {
  if (!state.account) return
  state.account = null
  state.loaded = true
  state.expired = true
}

export function installSessionExpiry(redirect: () => void): void {
  whenSessionExpires(() => {
    const wasLoggedIn = !!state.account
    expire()
    if (wasLoggedIn) redirect()
  })
}

export function clearExpired(): void {
  state.expired = false
}

/** Only tests set the account directly (null + loaded false: as at page load). */
export function _setAccountForTests(account: Account | null, loaded = true): void {
  state.account = account
  state.loaded = loaded
  state.expired = false
}
