/**
 * Wall-clock time during which at least one request was blocked (pacing or backoff).
 *
 * Requests wait concurrently: four requests of one bucket sleeping through the same 30 s reset
 * block the run for 30 s, not 2 min. Summing each request's wait would report the latter, so a
 * clock counts the union of the waiting intervals: it runs while one or more waits are open.
 * One clock per bucket, one for the client in total, and one per resource (handed in with the
 * request), so each "waited" figure is time that resource or bucket actually spent blocked.
 */
export class WaitClock {
  #open = 0
  #since = 0
  #totalMs = 0
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** A wait begins; returns the function that ends it (idempotent). */
  begin(): () => void {
    if (this.#open++ === 0) this.#since = this.#now()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      if (--this.#open === 0) this.#totalMs += this.#now() - this.#since
    }
  }

  /** Blocked time so far, ms, including a wait still open. */
  get totalMs(): number {
    return this.#totalMs + (this.#open > 0 ? this.#now() - this.#since : 0)
  }
}

/** Runs `wait` with every clock in `clocks` running (each counts the union of its own waits). */
export async function blocked<T>(clocks: readonly (WaitClock | undefined)[], wait: () => Promise<T>): Promise<T> {
  const ends = clocks.flatMap((c) => (c === undefined ? [] : [c.begin()]))
  try {
    return await wait()
  } finally {
    for (const end of ends) end()
  }
}
