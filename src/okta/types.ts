import type { WaitClock } from './wait-clock.ts'

/**
 * The Okta client as the resource extractors see it. HTTP only: no tables, no SQL.
 * Implemented by `OktaHttpClient` (client.ts) on undici.
 */
export interface OktaClient {
  /**
   * Iterates the pages of a collection: requests `pathOrUrl` (a path such as `/api/v1/users`
   * plus `query`, or an absolute `next` URL), then follows `Link: <…>; rel="next"` verbatim until
   * there is none. Each request is paced, retried and counted per rate-limit bucket.
   * For System Log polling (whose `next` never ends) the caller stops iterating.
   */
  pages<T = Record<string, unknown>>(pathOrUrl: string, opts?: PageRequest): AsyncIterable<Page<T>>

  /** One GET returning the parsed body. */
  get<T = unknown>(pathOrUrl: string, opts?: PageRequest): Promise<T>

  /** Per-run counters, per bucket and in total. */
  stats(): ClientStats

  /** Closes the connection pool. */
  close(): Promise<void>
}

export interface PageRequest {
  query?: Record<string, string | number | undefined>
  signal?: AbortSignal
  /**
   * A clock the client runs while this request is blocked (pacing, backoff): the caller's own
   * wall-clock "waited" (e.g. one per resource), never a sum over its concurrent requests.
   */
  waits?: WaitClock
}

export interface Page<T = Record<string, unknown>> {
  items: T[]
  /** The URL this page was fetched from. */
  url: string
  /** The absolute `rel="next"` URL, or null at the end of the list. */
  nextUrl: string | null
  requestId: string | null
}

export interface BucketStats {
  requests: number
  retries: number
  /** 429 E0000047 responses (per-minute budget). */
  rateLimited: number
  /** 429 responses for the concurrent-request limit. */
  concurrencyLimited: number
  /**
   * Wall-clock ms during which at least one request was blocked (pacing and backoff). Concurrent
   * waits count once: in `total`, the time any request of the client was blocked.
   */
  waitMs: number
  /** Last `X-Rate-Limit-Limit` seen, if any. */
  limit: number | null
  /** Page items skipped because they were not JSON objects (e.g. `null`). */
  skippedRecords?: number
}

export interface ClientStats {
  total: BucketStats
  /** Keyed by bucket name, e.g. `users`, `groups`, `apps`, `logs`. */
  buckets: Record<string, BucketStats>
}

/** The credential the client authenticates with (resolved from the config: secrets already read). */
export type OktaAuth =
  | { type: 'ssws'; token: string }
  | {
      type: 'oauth'
      clientId: string
      /** PEM (PKCS#8) or a JWK as JSON text. */
      privateKey: string
      keyId?: string
      scopes: string[]
      /** DPoP-bound tokens (RFC 9449): `"auto"` (default) once Okta demands them, `true` always, `false` never. */
      dpop?: 'auto' | boolean
    }
