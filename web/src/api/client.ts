/**
 * The one way the application talks to the gateway: openapi-fetch over the types generated from
 * /api/v1/openapi.json (`make web-api`), so a route or field the API does not have cannot be used.
 *
 * The session is an HttpOnly cookie the script never sees; unsafe requests carry the CSRF header
 * the gateway requires of cookie-authenticated requests.
 */
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError } from './errors'

export const CSRF_HEADER = 'X-HGRIP-CSRF'
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

type ExpiredListener = () => void
let onExpired: ExpiredListener | null = null

/** Called once by the session module: what to do when the gateway says the session is gone. */
export function whenSessionExpires(listener: ExpiredListener | null): void {
  onExpired = listener
}

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method)) request.headers.set(CSRF_HEADER, '1')
    return request
  },
  onResponse({ request, response }) {
    // A 401 anywhere but on the login route itself means the cookie expired or was revoked.
    if (response.status === 401 && !new URL(request.url).pathname.endsWith('/auth/session')) onExpired?.()
    return response
  },
}

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  credentials: 'same-origin',
  // Looked up at each call, not captured once, so that whatever fetch the page has is the one used.
  fetch: (request: Request) => globalThis.fetch(request),
})
api.use(session)

type Result<T> = { data?: T; error?: unknown; response: Response }

/** The data of a successful call, or an ApiError carrying the gateway's bilingual refusal. */
export async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>
  try {
    result = await pending
  } catch (cause) {
    throw ApiError.network(cause)
  }
  if (result.response.ok) return result.data as T
  throw ApiError.fromResponse(result.response.status, result.error, result.response.headers)
}
