/**
 * Overlaps the next HTTP page with the current database commit: keeps exactly one item of
 * `source` in flight ahead of the consumer. Memory stays bounded at two batches (the one being
 * committed and the one being fetched), which is what makes a 1M-user org stream in flat memory.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]()
  let pending = it.next()
  try {
    while (true) {
      const current = await pending
      if (current.done) return
      pending = it.next()
      // Keep a rejection of the prefetch from surfacing as "unhandled" while the consumer works;
      // it is re-thrown by the `await pending` of the next loop turn.
      pending.catch(() => {})
      yield current.value
    }
  } finally {
    // The consumer stopped early (error, abort, break): let the source clean up.
    await pending.catch(() => undefined)
    await it.return?.()
  }
}
