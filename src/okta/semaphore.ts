/**
 * A FIFO counting semaphore: bounds the requests in flight across all buckets. Our own rather than
 * p-limit because a slot is taken and released around the send only, while pacing waits happen
 * outside it (a request waiting for its bucket's reset must not hold a slot other buckets could use).
 */
export class Semaphore {
  readonly #max: number
  #active = 0
  readonly #queue: Array<() => void> = []

  constructor(max: number) {
    this.#max = max
  }

  get active(): number {
    return this.#active
  }

  /** Resolves with a release function once a slot is free. Rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.#max) {
      this.#active++
      return Promise.resolve(this.#releaser())
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(this.#releaser())
      }
      const onAbort = (): void => {
        const i = this.#queue.indexOf(grant)
        if (i !== -1) this.#queue.splice(i, 1)
        reject(signal?.reason)
      }
      if (signal?.aborted) return reject(signal.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#queue.push(grant)
    })
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      // The slot passes straight to the next waiter, so #active stays the same.
      if (next) next()
      else this.#active--
    }
  }
}
