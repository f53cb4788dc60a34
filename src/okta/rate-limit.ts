import type { BucketStats } from './types.ts'
import { timerMs } from './timers.ts'
import { WaitClock } from './wait-clock.ts'

/**
 * Pacing per Okta rate-limit bucket, from the `X-Rate-Limit-Limit/Remaining/Reset` headers.
 *
 * Within one server window the client sends at most `floor(limit × share)` requests (the header
 * already reports this token's own share of the org bucket; `share` leaves the rest for others).
 * The first half of that budget goes out as fast as the in-flight bound allows (a small nightly run
 * should not be slowed down); the second half is spread evenly over what is left of the window, so
 * that many workers waiting on one bucket trickle instead of bursting into a 429.
 *
 * Time: `X-Rate-Limit-Reset` is epoch seconds on the *server's* clock. It is converted to the local
 * clock through the offset learnt from the `Date` header (see `ServerClock`), never compared with
 * `Date.now()` directly: a skewed local clock would otherwise wait an hour or not at all.
 */

/** Returned by `reserve` when the bucket waits for a response in flight (a probe of an unknown window). */
export const WAIT_FOR_RESPONSE = -1

/**
 * Both `Date` and `Reset` have one-second resolution, so a window can end up to a second after
 * the instant computed from them: wait that much longer before assuming a fresh window.
 *
 * Waiting the full margin every window is costly when the bucket is the wall (a whole second per
 * 60 s window in production, far more with short windows): a server that rounds `Reset` up (or
 * exactly) has already opened the next window at the reported instant. So the last permit of
 * each window's budget is held back and sent at the reported reset as a probe: if the server
 * answers from a new window, its count takes over and the next budget starts at once; if not, the
 * probe was simply the old window's last permit and the bucket waits out the margin as before.
 * Either way nothing beyond `floor(limit × share)` is sent per server window, so no 429.
 */
export const RESET_MARGIN_MS = 1000

export interface RateLimitHeaders {
  limit: number | null
  remaining: number | null
  /** Epoch seconds, server clock. */
  reset: number | null
  /** The server's `Date`, ms since epoch. */
  date: number | null
}

/** Reads the rate-limit headers of a response; absent or malformed values become null. */
export function readRateLimitHeaders(headers: Record<string, string | string[] | undefined>): RateLimitHeaders {
  return {
    limit: intHeader(headers['x-rate-limit-limit']),
    remaining: intHeader(headers['x-rate-limit-remaining']),
    reset: intHeader(headers['x-rate-limit-reset']),
    date: dateHeader(headers['date']),
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function intHeader(v: string | string[] | undefined): number | null {
  const s = first(v)?.trim()
  if (s === undefined || !/^\d+$/.test(s)) return null
  return Number(s)
}

function dateHeader(v: string | string[] | undefined): number | null {
  const s = first(v)
  if (s === undefined) return null
  const ms = Date.parse(s)
  return Number.isNaN(ms) ? null : ms
}

/**
 * The offset between the server's clock and ours. The `Date` header is truncated to the second and
 * was produced somewhere between sending and receiving, so each response bounds the offset to an
 * interval; intersecting the intervals narrows it over time. `toLocal` uses the low end of the
 * offset, which maps a server instant to the *latest* local instant it can be: the safe side.
 */
export class ServerClock {
  #lo = Number.NEGATIVE_INFINITY
  #hi = Number.POSITIVE_INFINITY

  observe(serverDateMs: number, sentAt: number, receivedAt: number): void {
    const lo = serverDateMs - receivedAt
    const hi = serverDateMs + 1000 - sentAt
    if (lo > this.#hi || hi < this.#lo) {
      // The server's clock jumped: start over from this observation.
      this.#lo = lo
      this.#hi = hi
      return
    }
    this.#lo = Math.max(this.#lo, lo)
    this.#hi = Math.min(this.#hi, hi)
  }

  /** Server minus local, ms (the safe low end); 0 before any `Date` was seen. */
  get offsetMs(): number {
    return Number.isFinite(this.#lo) ? this.#lo : 0
  }

  /** The local time at which the server clock reaches `serverMs` (at the latest). */
  toLocal(serverMs: number): number {
    return serverMs - this.offsetMs
  }
}

export class RateLimitBucket {
  readonly name: string
  /** Counters; `waitMs` is read from `waits` (see `snapshot`). */
  readonly stats: BucketStats = { requests: 0, retries: 0, rateLimited: 0, concurrencyLimited: 0, waitMs: 0, limit: null }
  /** Wall-clock time at least one request of this bucket was blocked. */
  readonly waits = new WaitClock()
  readonly #share: number
  readonly #clock: ServerClock

  /** Whether any response of this bucket carried rate-limit headers (if never, it flows freely). */
  #tracked = false
  #answered = false
  /** Requests counted against the current window (ours, or the server's count if higher). */
  #used = 0
  /** The current window's `X-Rate-Limit-Reset` (server epoch seconds), null when unknown. */
  #windowReset: number | null = null
  /** Local ms at which the current window is over, margin included. */
  #resetLocal: number | null = null
  /** Local ms of the current window's reported reset, margin excluded: when its last permit goes out as a probe. */
  #probeLocal: number | null = null
  #inFlight = 0
  #lastSentAt = Number.NEGATIVE_INFINITY
  /** After a 429: nothing is sent before this local time. */
  #blockedUntil = 0
  #waiters: Array<() => void> = []

  constructor(name: string, share: number, clock: ServerClock) {
    this.name = name
    this.#share = share
    this.#clock = clock
  }

  /** `floor(limit × share)`, at least 1; null while the limit is unknown. */
  get budget(): number | null {
    const limit = this.stats.limit
    return limit === null ? null : Math.max(1, Math.floor(limit * this.#share))
  }

  /** The counters as of now. */
  snapshot(): BucketStats {
    return { ...this.stats, waitMs: this.waits.totalMs }
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /**
   * Takes a send permit if the bucket allows one now (returns 0 and counts the request), otherwise
   * returns how long to wait in ms, or `WAIT_FOR_RESPONSE`.
   */
  reserve(now: number): number {
    if (this.#blockedUntil > now) return this.#blockedUntil - now
    if (this.#resetLocal !== null && now >= this.#resetLocal) this.#roll()

    if (!this.#tracked) {
      // Until the first response says whether this bucket is limited, send one probe at a time.
      if (!this.#answered && this.#inFlight > 0) return WAIT_FOR_RESPONSE
      return this.#take(now)
    }
    if (this.#resetLocal === null) {
      // A fresh window whose reset we don't know yet: one probe learns it.
      if (this.#inFlight > 0) return WAIT_FOR_RESPONSE
      return this.#take(now)
    }
    const budget = this.budget ?? 1
    const free = budget - this.#used
    if (free <= 0) return Math.max(1, this.#resetLocal - now)
    const probeAt = this.#probeLocal ?? this.#resetLocal
    // The last permit is the probe of the next window (see RESET_MARGIN_MS): not before the reported reset.
    if (free === 1 && budget > 1 && now < probeAt) return Math.max(1, Math.ceil(probeAt - now))
    if (free * 2 <= budget) {
      const gap = (probeAt - now) / free
      const at = this.#lastSentAt + gap
      if (at > now) return Math.max(1, Math.ceil(at - now))
    }
    return this.#take(now)
  }

  /**
   * Records a finished request (`headers` null when no response arrived) and wakes the waiters.
   * `sentAt`/`receivedAt` are local times bounding when the server answered.
   */
  finish(headers: RateLimitHeaders | null, sentAt: number, receivedAt: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1)
    if (headers !== null) {
      this.#answered = true
      this.#observe(headers, sentAt, receivedAt)
    }
    this.#notify()
  }

  /** Gives back a permit that was never used (the request was not sent after all). */
  cancel(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1)
    this.#used = Math.max(0, this.#used - 1)
    this.stats.requests = Math.max(0, this.stats.requests - 1)
    this.#notify()
  }

  /** After a 429 E0000047: nothing goes out before `untilLocal`, and the current window counts as spent. */
  block(untilLocal: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, untilLocal)
    if (this.#resetLocal !== null) this.#used = Number.POSITIVE_INFINITY
    this.#notify()
  }

  /** Local time at which the window a response reported resets (margin included), or null. */
  resetLocalOf(headers: RateLimitHeaders): number | null {
    return headers.reset === null ? null : this.#clock.toLocal(headers.reset * 1000) + RESET_MARGIN_MS
  }

  /** Resolves after `ms`, or earlier when a request of this bucket finishes; rejects on abort. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const i = this.#waiters.indexOf(done)
        if (i !== -1) this.#waiters.splice(i, 1)
        resolve()
      }
      const onAbort = (): void => {
        done()
        reject(signal?.reason)
      }
      const timer = setTimeout(done, timerMs(ms))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(done)
    })
  }

  #take(now: number): 0 {
    this.#used++
    this.#inFlight++
    this.#lastSentAt = now
    this.stats.requests++
    return 0
  }

  #roll(): void {
    this.#used = 0
    this.#windowReset = null
    this.#resetLocal = null
    this.#probeLocal = null
  }

  #observe(h: RateLimitHeaders, sentAt: number, receivedAt: number): void {
    if (h.date !== null) this.#clock.observe(h.date, sentAt, receivedAt)
    // Limit 0 is the concurrency limit's report, not this bucket's budget.
    if (h.limit === null || h.limit === 0) return
    this.#tracked = true
    this.stats.limit = h.limit
    if (h.reset === null || h.remaining === null) return
    const resetLocal = this.#clock.toLocal(h.reset * 1000) + RESET_MARGIN_MS
    // A late answer from a window we have already rolled past says nothing about the current one.
    if (resetLocal <= receivedAt) return
    if (this.#windowReset !== null && h.reset < this.#windowReset) return
    // Requests still in flight may not be in the server's count yet: count them too. Taking the
    // max with our own count errs towards sending less, never more.
    const serverUsed = h.limit - Math.min(h.remaining, h.limit) + this.#inFlight
    if (this.#windowReset !== null && h.reset > this.#windowReset) {
      // The server started a new window before our (deliberately late) estimate: its count is the
      // truth now; what we sent in the old window no longer counts.
      this.#used = serverUsed
    } else {
      this.#used = Math.max(this.#used, serverUsed)
    }
    if (this.#windowReset === null || h.reset > this.#windowReset) {
      this.#windowReset = h.reset
      this.#resetLocal = resetLocal
      this.#probeLocal = resetLocal - RESET_MARGIN_MS
    }
  }

  #notify(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}

/** All buckets of one client, sharing one server clock. */
export class RateLimiter {
  readonly clock = new ServerClock()
  readonly #share: number
  readonly #buckets = new Map<string, RateLimitBucket>()

  constructor(share: number) {
    this.#share = share
  }

  bucket(name: string): RateLimitBucket {
    let b = this.#buckets.get(name)
    if (b === undefined) {
      b = new RateLimitBucket(name, this.#share, this.clock)
      this.#buckets.set(name, b)
    }
    return b
  }

  all(): RateLimitBucket[] {
    return [...this.#buckets.values()]
  }
}
