import type { Logger } from '../util/log.ts'
import { OktaWaitTooLongError, type OktaRequestErrorInit } from './errors.ts'
import { WAIT_FOR_RESPONSE, type RateLimitBucket } from './rate-limit.ts'
import { Semaphore } from './semaphore.ts'
import { sleep } from './timers.ts'
import { blocked, type WaitClock } from './wait-clock.ts'

/**
 * The pacing loop: when a request may go (its bucket's budget, an in-flight slot) and every pause
 * between attempts. Every wait passes one cap, `okta.maxWaitSeconds`: a reset an hour or a
 * millennium away (the server's say) fails the request with `OktaWaitTooLongError` instead of
 * sleeping; a backoff (the client's own choice) is shortened to it. No timer ever gets a delay it
 * cannot hold. Waits run the wait clocks (wall-clock blocked time).
 */

export interface PacingOptions {
  maxInFlight: number
  maxWaitMs: number
  /** How long to wait at most for a response in flight that decides a bucket's window. */
  requestTimeoutMs: number
  logger?: Logger | undefined
}

/** One request's view while it waits. */
export interface WaitContext {
  method: string
  path: string
  bucket: RateLimitBucket
  /** The clocks that run while this request is blocked (bucket, client total, the caller's). */
  clocks: readonly (WaitClock | undefined)[]
  signal?: AbortSignal | undefined
  /** The last response of this request, if any (named by a wait-cap error). */
  last?: Pick<OktaRequestErrorInit, 'status' | 'errorCode' | 'requestId'> & { attempts: number }
}

export class Pacer {
  readonly #slots: Semaphore
  readonly #opts: PacingOptions

  constructor(opts: PacingOptions) {
    this.#opts = opts
    this.#slots = new Semaphore(opts.maxInFlight)
  }

  /**
   * Waits until the bucket lets the request go and an in-flight slot is free; returns the slot's
   * release. The slot is taken first and the bucket asked synchronously, so a permit is never
   * granted to a request that then sits in the slot queue; a request that must wait gives its
   * slot back, so one exhausted bucket never blocks the others.
   */
  async admit(w: WaitContext): Promise<() => void> {
    let waited = 0
    for (;;) {
      const release = await this.#slots.acquire(w.signal)
      const wait = w.bucket.reserve(Date.now())
      if (wait === 0) {
        if (waited >= 1000) {
          this.#opts.logger?.({ level: 'info', event: 'okta.wait', msg: `Waited ${waited} ms for Okta rate-limit bucket ${w.bucket.name}`, bucket: w.bucket.name, waitMs: waited, limit: w.bucket.stats.limit })
        }
        return release
      }
      release()
      const ms = wait === WAIT_FOR_RESPONSE ? this.#opts.requestTimeoutMs : wait
      if (wait !== WAIT_FOR_RESPONSE) this.#cap(ms, w)
      const t0 = Date.now()
      await blocked(w.clocks, () => w.bucket.waitForChange(ms, w.signal))
      waited += Date.now() - t0
    }
  }

  /**
   * A pause between attempts (backoff, a `Retry-After` already bounded by `retryMaxDelayMs`).
   * These are the client's own choice, so they are shortened to the cap rather than failing.
   */
  async pause(ms: number, w: WaitContext): Promise<void> {
    if (ms <= 0) return
    await blocked(w.clocks, () => sleep(Math.min(ms, this.#opts.maxWaitMs), w.signal))
  }

  #cap(ms: number, w: WaitContext): void {
    if (ms <= this.#opts.maxWaitMs) return
    throw new OktaWaitTooLongError({
      method: w.method,
      path: w.path,
      ...(w.last ?? {}),
      bucket: w.bucket.name,
      waitMs: ms,
      maxWaitMs: this.#opts.maxWaitMs,
    })
  }
}
