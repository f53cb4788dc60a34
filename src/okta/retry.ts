/**
 * The retry policy: which failures are worth another attempt, and how long to wait before it.
 * The loop that applies it lives in client.ts; 429 waits come from the bucket (rate-limit.ts).
 */

export interface BackoffOptions {
  baseMs: number
  maxMs: number
  /** [0, 1) source, injectable for tests. */
  random?: () => number
}

/**
 * Capped exponential backoff with jitter for retry number `retry` (1 = first retry):
 * `min(max, base × 2^(retry−1))`, of which a random half is taken off so that clients failing
 * together don't retry together.
 */
export function backoffDelay(retry: number, opts: BackoffOptions): number {
  const random = opts.random ?? Math.random
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, retry - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random())
}

/** Jitter added to a 429's reset wait, so workers released by one reset don't all fire at once. */
export function resetJitter(random: () => number = Math.random): number {
  return Math.round(250 * random())
}

/** HTTP statuses retried: 429 (paced, see rate-limit.ts) and every 5xx except 501 (not implemented stays so). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501)
}

/**
 * Socket-level failures worth retrying. DNS failures (`ENOTFOUND`) are not: a wrong org URL
 * should fail at once, not after a minute of backoff.
 */
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

export function isRetryableNetworkCode(code: string | null): boolean {
  return code !== null && RETRYABLE_NETWORK.has(code)
}

/** `Retry-After` in ms (seconds or an HTTP date), or null. */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined) return null
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
