/**
 * A first-in first-out queue of at most `capacity` items between producers (fan-out workers) and
 * one consumer (the extractor's generator). `push` waits while the queue is full, which is what
 * keeps a fan-out over thousands of parents to a few pages in memory however slow the loader is.
 */
export class BoundedChannel<T> {
  readonly #capacity: number
  readonly #items: T[] = []
  #closed = false
  #error: { reason: unknown } | undefined
  #readers: { resolve: (r: IteratorResult<T, undefined>) => void; reject: (e: unknown) => void }[] = []
  #writers: { resolve: () => void; reject: (e: unknown) => void }[] = []

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError(`capacity must be a positive integer, got ${capacity}`)
    this.#capacity = capacity
  }

  get size(): number {
    return this.#items.length
  }

  /** Resolves once the item is queued (or handed to a waiting reader); rejects when the channel is closed. */
  async push(item: T): Promise<void> {
    for (;;) {
      if (this.#closed) throw this.#error?.reason ?? new Error('channel closed')
      const reader = this.#readers.shift()
      if (reader) {
        reader.resolve({ done: false, value: item })
        return
      }
      if (this.#items.length < this.#capacity) {
        this.#items.push(item)
        return
      }
      await new Promise<void>((resolve, reject) => this.#writers.push({ resolve, reject }))
    }
  }

  /** The next item; `done` once the channel is closed and drained; rejects when closed with an error. */
  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#error) throw this.#error.reason
    if (this.#items.length > 0) {
      const value = this.#items.shift() as T
      // A slot freed: let one waiting producer in.
      this.#writers.shift()?.resolve()
      return { done: false, value }
    }
    if (this.#closed) return { done: true, value: undefined }
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }))
  }

  /**
   * No more pushes. Without `error`, queued items are still delivered, then `done`. With an error,
   * queued items are dropped (they were never committed, so a re-run reads them again) and every
   * waiting reader and writer is rejected with it.
   */
  close(error?: { reason: unknown }): void {
    if (this.#closed && (this.#error || !error)) return
    this.#closed = true
    if (error) {
      this.#error = error
      this.#items.length = 0
    }
    for (const r of this.#readers.splice(0)) {
      if (error) r.reject(error.reason)
      else r.resolve({ done: true, value: undefined })
    }
    const reason = error?.reason ?? new Error('channel closed')
    for (const w of this.#writers.splice(0)) w.reject(reason)
  }
}
