/**
 * A promise mutex: one task at a time, FIFO. The destinations serialize every operation that
 * touches their single write connection through one of these (SQLite is single-writer anyway,
 * and a Postgres transaction on one client must not interleave with another batch's statements).
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task)
    // The chain must survive a failed task; the caller still sees the rejection through `result`.
    this.#tail = result.catch(() => {})
    return result
  }
}
