/**
 * The one set of Okta client defaults and bounds. The client validates against these, the CLI's
 * config schema accepts exactly these ranges, and the pipeline's defaults come from here: a value
 * the config accepts is always one the client accepts.
 */

export interface IntRange {
  readonly min: number
  readonly max: number
}

export const OKTA_CLIENT_DEFAULTS = Object.freeze({
  /** Share of `X-Rate-Limit-Limit` this client may use, (0, 1]. */
  rateLimitShare: 0.9,
  /** Requests in flight at once, all buckets together. */
  maxInFlight: 4,
  /** Per-request timeout (headers and body), ms. */
  requestTimeoutMs: 30_000,
  /** Retries per request before the resource fails. */
  maxRetries: 6,
  /**
   * The longest single wait the client accepts (a rate-limit reset, a 429, a backoff), seconds.
   * Okta's windows are one minute: a reset further away than this is a misbehaving server or
   * proxy, and the resource fails naming it instead of sleeping for hours.
   */
  maxWaitSeconds: 300,
  /** First retry backoff, ms; doubles per retry. */
  retryBaseDelayMs: 1000,
  /** Largest retry backoff, ms. */
  retryMaxDelayMs: 30_000,
  /** Largest response body accepted, bytes. */
  maxResponseBytes: 64 * 1024 * 1024,
})

export const OKTA_CLIENT_LIMITS = Object.freeze({
  maxInFlight: { min: 1, max: 75 },
  requestTimeoutMs: { min: 100, max: 600_000 },
  maxRetries: { min: 0, max: 50 },
  // A day at most: every timer stays far below setTimeout's 2^31−1 ms ceiling.
  maxWaitSeconds: { min: 1, max: 86_400 },
  retryBaseDelayMs: { min: 0, max: 600_000 },
  retryMaxDelayMs: { min: 0, max: 3_600_000 },
  maxResponseBytes: { min: 1024, max: 2 ** 31 },
} satisfies Record<string, IntRange>)
