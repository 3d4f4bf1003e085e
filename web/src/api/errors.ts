/** The gateway's error body, {"error": {code, message, message_zh, details}}, as an exception. */

export interface FieldProblem {
  code: string
  message: string
  message_zh: string
  params?: Record<string, unknown>
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageEn: string,
    readonly messageZh: string,
    readonly details: Record<string, unknown> = {},
    readonly retryAfter: number | null = null,
  ) {
    super(`${code}: ${messageEn}`)
  }

  static fromResponse(status: number, body: unknown, headers?: Headers): ApiError {
    const error = (body as { error?: Record<string, unknown> } | undefined)?.error
    const retry = Number(headers?.get('Retry-After'))
    const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null
    if (error && typeof error.code === 'string') {
      return new ApiError(status, error.code, String(error.message ?? ''), String(error.message_zh ?? ''),
        (error.details as Record<string, unknown>) ?? {}, retryAfter)
    }
    return new ApiError(status, 'http_' + status, `The server answered ${status}.`, `服务器返回 ${status}。`, {}, retryAfter)
  }

  static network(cause: unknown): ApiError {
    const error = new ApiError(0, 'network_error', 'The platform cannot be reached. Check the connection and try again.',
      '无法连接平台，请检查网络后重试。')
    error.cause = cause
    return error
  }

  /** The message in the page's language. */
  text(locale: string): string {
    return (locale.startsWith('zh') ? this.messageZh : this.messageEn) || this.messageEn || this.messageZh
  }

  /** Per-field problems of a 400 invalid_input, each in the page's language: {field: "message; message"}. */
  fieldTexts(locale: string): Record<string, string> {
    const fields = (this.details?.fields ?? {}) as Record<string, FieldProblem[] | unknown>
    const out: Record<string, string> = {}
    for (const [name, problems] of Object.entries(fields)) {
      if (!Array.isArray(problems)) continue
      out[name] = problems
        .map((p: FieldProblem) => (locale.startsWith('zh') ? p.message_zh : p.message) || p.message)
        .join('；')
    }
    return out
  }
}

/** A wait in words, in the page's language: seconds under a minute, else whole minutes rounded up. */
export function waitText(seconds: number, locale: string): string {
  const zh = locale.startsWith('zh')
  if (seconds < 60) return zh ? `${seconds} 秒` : `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return zh ? `${minutes} 分钟` : `${minutes} minute${minutes === 1 ? '' : 's'}`
}

/** Any thrown value as text in the page's language. A rate limit (429 rate_limited: too many wrong
 * passwords or codes) says how long to wait, from its Retry-After. */
export function errorText(error: unknown, locale: string): string {
  if (error instanceof ApiError) {
    if (error.code === 'rate_limited' && error.retryAfter) {
      const wait = waitText(error.retryAfter, locale)
      return `${error.text(locale)}${locale.startsWith('zh') ? `（约 ${wait}后可重试）` : ` (try again in about ${wait})`}`
    }
    const fields = Object.values(error.fieldTexts(locale))
    return fields.length ? `${error.text(locale)} ${fields.join(' ')}` : error.text(locale)
  }
  return locale.startsWith('zh') ? '出现了意外错误，请重试。' : 'Something went wrong; please try again.'
}
