// The browser session: the cookie is the gateway's business; the page only learns who is logged in,
// sends the CSRF header on unsafe requests, and goes to the login page (and back) when it expires.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { api, unwrap } from '../src/api/client'
import { ApiError, errorText, waitText } from '../src/api/errors'
import { guard, routes } from '../src/router'
import { _setAccountForTests, installSessionExpiry, loadSession, login, logout, session } from '../src/session'
import { answer, json, refusal, requests } from './support'

const ACCOUNT = {
  id: 'a1', username: 'zhangxiaohan', name: '张晓寒', role: 'natural_person', mobile: '138****0001',
  institution: { code: 'ngdc', name: '国家基因组科学数据中心测试', foreign: false }, unit: null,
  real_name_verified: true, authorised: true, authorised_at: '2023-06-27T03:26:27Z', employed: true,
}

beforeEach(() => _setAccountForTests(null))
afterEach(() => vi.restoreAllMocks())

describe('the client', () => {
  it('sends the CSRF header on unsafe requests only, and no token', async () => {
    answer(json(200, ACCOUNT), json(200, ACCOUNT))
    await unwrap(api.GET('/api/v1/me'))
    await login('zhangxiaohan', 'Demo-2026!')
    expect(requests[0].method).toBe('GET')
    expect(requests[0].headers.get('X-HGRIP-CSRF')).toBeNull()
    expect(requests[1].method).toBe('POST')
    expect(requests[1].headers.get('X-HGRIP-CSRF')).toBe('1')
    expect(requests.every((r) => !r.headers.get('Authorization'))).toBe(true)
    expect(requests[1].credentials).toBe('same-origin')
  })

  it('turns a refusal into an ApiError in both languages, field by field', async () => {
    answer(refusal(400, 'invalid_input', '请求中有字段不符合要求。', 'The request contains invalid fields.', {
      fields: { name: [{ code: 'too_long', message: 'At most 200 characters.', message_zh: '最多 200 个字符。' }] },
    }))
    const error = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.code).toBe('invalid_input')
    expect(error.fieldTexts('zh-CN')).toEqual({ name: '最多 200 个字符。' })
    expect(error.fieldTexts('en')).toEqual({ name: 'At most 200 characters.' })
    expect(errorText(error, 'zh-CN')).toBe('请求中有字段不符合要求。 最多 200 个字符。')
  })

  it('reads Retry-After on a 429', async () => {
    answer(new Response(JSON.stringify({ error: { code: 'code_resend_too_soon', message: 'Wait.', message_zh: '请稍后。', details: {} } }),
      { status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '42' } }))
    const error = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(error.retryAfter).toBe(42)
    expect(error.text('en')).toBe('Wait.')
  })

  it('says how long a rate limit asks to wait, in both languages', async () => {
    answer(new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'Too many attempts; please wait before trying again.',
      message_zh: '尝试次数过多，请稍后再试。', details: { retry_after_seconds: 830 } } }),
    { status: 429, headers: { 'Content-Type': 'application/json', 'Retry-After': '830' } }))
    const error = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(errorText(error, 'zh-CN')).toBe('尝试次数过多，请稍后再试。（约 14 分钟后可重试）')
    expect(errorText(error, 'en')).toBe('Too many attempts; please wait before trying again. (try again in about 14 minutes)')
    expect(waitText(1, 'en')).toBe('1 second')
    expect(waitText(45, 'zh-CN')).toBe('45 秒')
  })

  it('says the platform cannot be reached when the network fails', async () => {
    globalThis.fetch = vi.fn(async () => { throw new TypeError('Failed to fetch') }) as typeof fetch
    const error = await unwrap(api.GET('/api/v1/me')).catch((e) => e)
    expect(error.code).toBe('network_error')
    expect(error.text('zh-CN')).toContain('无法连接平台')
  })
})

describe('the session', () => {
  it('is nobody when the gateway says so, and asks only once', async () => {
    _setAccountForTests(null, false)
    answer(json(200, { authenticated: false, account: null }))
    expect(await loadSession()).toBeNull()
    expect(await loadSession()).toBeNull()
    expect(requests).toHaveLength(1)
    expect(new URL(requests[0].url).pathname).toBe('/api/v1/auth/session')
    expect(requests[0].method).toBe('GET')
  })

  it('is the account when the gateway knows the cookie', async () => {
    _setAccountForTests(null, false)
    answer(json(200, { authenticated: true, account: ACCOUNT }))
    expect((await loadSession())?.name).toBe('张晓寒')
    expect(session.account?.institution?.name).toBe('国家基因组科学数据中心测试')
  })

  it('does not pretend to be logged out when the gateway fails otherwise', async () => {
    _setAccountForTests(null, false)
    answer(refusal(503, 'service_unavailable', '服务暂时不可用，请稍后重试。', 'A service is unavailable.'))
    await expect(loadSession()).rejects.toMatchObject({ status: 503 })
    expect(session.loaded).toBe(false)
  })

  it('logs out even when the gateway cannot be reached', async () => {
    _setAccountForTests(ACCOUNT as never)
    globalThis.fetch = vi.fn(async () => { throw new TypeError('offline') }) as typeof fetch
    await expect(logout()).rejects.toBeInstanceOf(ApiError)
    expect(session.account).toBeNull()
  })

  it('a 401 mid-session expires it and calls the redirect once', async () => {
    const redirect = vi.fn()
    installSessionExpiry(redirect)
    _setAccountForTests(ACCOUNT as never)
    answer(refusal(401, 'invalid_token', '访问令牌无效或已过期。', 'The access token is invalid or has expired.'),
      refusal(401, 'invalid_token', '访问令牌无效或已过期。', 'The access token is invalid or has expired.'))
    await unwrap(api.GET('/api/v1/projects')).catch(() => undefined)
    await unwrap(api.GET('/api/v1/projects')).catch(() => undefined)
    expect(session.account).toBeNull()
    expect(session.expired).toBe(true)
    expect(redirect).toHaveBeenCalledTimes(1)
  })

  it('a wrong password on the login route does not count as an expired session', async () => {
    const redirect = vi.fn()
    installSessionExpiry(redirect)
    _setAccountForTests(null)
    answer(refusal(401, 'invalid_credentials', '用户名或密码错误。', 'Wrong username or password.'))
    await expect(login('zhangxiaohan', 'wrong')).rejects.toBeInstanceOf(ApiError)
    expect(redirect).not.toHaveBeenCalled()
  })
})

describe('the router guard', () => {
  const router = () => createRouter({ history: createMemoryHistory(), routes })

  it('sends a stranger to the login page, remembering where they were going', async () => {
    _setAccountForTests(null)
    const r = router()
    const target = r.resolve('/projects/p1?tab=x')
    expect(await guard(target)).toEqual({ name: 'login', query: { redirect: '/projects/p1?tab=x' } })
  })

  it('lets a natural person in and refuses a researcher page to a legal person', async () => {
    const r = router()
    _setAccountForTests(ACCOUNT as never)
    expect(await guard(r.resolve('/projects'))).toBe(true)
    _setAccountForTests({ ...ACCOUNT, role: 'legal_person' } as never)
    expect(await guard(r.resolve('/projects/new'))).toEqual({ name: 'forbidden', query: { from: '/projects/new' } })
    expect(await guard(r.resolve('/guide'))).toBe(true)
  })

  it('sends a logged-in person away from the login page', async () => {
    _setAccountForTests(ACCOUNT as never)
    expect(await guard(router().resolve('/login'))).toEqual({ name: 'guide' })
  })
})

