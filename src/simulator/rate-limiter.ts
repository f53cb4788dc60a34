/**
 * Per-bucket request budgets over fixed windows that start at a bucket's first request (Okta's
 * windows are 60 s and not aligned to wall-clock minutes). Without configured limits every bucket
 * still reports a huge limit, so clients that read the headers never slow down.
 */
import type { BucketName } from './types.ts'

export const UNLIMITED = 1_000_000

/** Okta's published per-minute org buckets (Enterprise column of the last published table). */
export const OKTA_DEFAULT_RATE_LIMITS: Readonly<Record<BucketName, number>> = {
  users: 600,
  user: 1000,
  groups: 600,
  group: 600,
  apps: 100,
  app: 600,
  logs: 50,
  token: 600,
  default: 600,
}

export interface BucketState {
  limit: number
  remaining: number
  /** Local epoch ms when the window resets. */
  resetAt: number
}

export class RateLimiter {
  #limits: Partial<Record<BucketName, number>> | false
  #windowMs: number
  readonly #windows = new Map<BucketName, { start: number; used: number }>()

  constructor(limits: Partial<Record<BucketName, number>> | false | undefined, windowMs = 60_000) {
    this.#limits = limits ?? false
    this.#windowMs = windowMs
  }

  set(limits: Partial<Record<BucketName, number>> | false, windowMs?: number): void {
    this.#limits = limits
    if (windowMs !== undefined) this.#windowMs = windowMs
    this.#windows.clear()
  }

  limitOf(bucket: BucketName): number {
    return this.#limits === false ? UNLIMITED : this.#limits[bucket] ?? UNLIMITED
  }

  #window(bucket: BucketName, now: number): { start: number; used: number } {
    let w = this.#windows.get(bucket)
    if (!w || now >= w.start + this.#windowMs) {
      w = { start: now, used: 0 }
      this.#windows.set(bucket, w)
    }
    return w
  }

  /** Consumes one request if the budget allows; a refused request costs nothing. */
  take(bucket: BucketName, now: number): BucketState & { allowed: boolean } {
    const w = this.#window(bucket, now)
    const limit = this.limitOf(bucket)
    const allowed = w.used < limit
    if (allowed) w.used++
    return { allowed, limit, remaining: Math.max(0, limit - w.used), resetAt: w.start + this.#windowMs }
  }

  peek(bucket: BucketName, now: number): BucketState {
    const w = this.#window(bucket, now)
    const limit = this.limitOf(bucket)
    return { limit, remaining: Math.max(0, limit - w.used), resetAt: w.start + this.#windowMs }
  }
}
