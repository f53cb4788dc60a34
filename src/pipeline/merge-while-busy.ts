import type { RowsInFlight } from './rows-in-flight.ts'

/**
 * Decouples extraction from commits. A producer keeps pulling items from `source` into a queue
 * while the consumer commits; every turn the consumer takes whatever is queued, up to `maxWeight`
 * (at least one item, never split). So when the destination keeps up, each page commits on its
 * own (low latency); when it is the bottleneck, the pages that piled up meanwhile share one
 * transaction, and the fixed cost of a commit (round trips, fsync, index writes) is paid once per
 * many pages instead of once per page.
 *
 * Memory stays bounded: the producer waits while `maxWeight` is queued, so at most about twice
 * `maxWeight` (the queue and the group being committed) plus the page in flight are held; with
 * `shared`, the run's budget across resources (RowsInFlight) bounds them together.
 *
 * If the source fails, the items it produced before the failure are still yielded (they are
 * complete batches with their own cursors), then the error is thrown.
 */
export async function* mergeWhileBusy<T>(source: AsyncIterable<T>, weight: (item: T) => number, maxWeight: number, shared?: RowsInFlight): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]()
  const queue: T[] = []
  let queued = 0
  /** The group handed to the consumer and not yet committed (it comes back for the next one). */
  let handedOut = 0
  let finished = false
  let stopped = false
  let failure: { error: unknown } | undefined
  let wakeConsumer = (): void => {}
  let wakeProducer = (): void => {}

  const producer = (async () => {
    try {
      while (!stopped) {
        while (!stopped && (queued >= maxWeight || shared?.mustWait(queued + handedOut))) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve
            shared?.released().then(resolve)
          })
        }
        if (stopped) break
        const next = await it.next()
        if (next.done) break
        const w = weight(next.value)
        queue.push(next.value)
        queued += w
        shared?.take(w)
        wakeConsumer()
      }
    } catch (error) {
      failure = { error }
    } finally {
      finished = true
      wakeConsumer()
    }
  })()

  try {
    for (;;) {
      while (queue.length === 0 && !finished) await new Promise<void>((resolve) => (wakeConsumer = resolve))
      if (queue.length === 0) {
        if (failure) throw failure.error
        return
      }
      const group: T[] = []
      let total = 0
      while (queue.length > 0) {
        const w = weight(queue[0]!)
        if (group.length > 0 && total + w > maxWeight) break
        group.push(queue.shift()!)
        total += w
      }
      queued -= total
      handedOut = total
      wakeProducer()
      yield group
      // Back for more: that group is committed (or abandoned).
      handedOut = 0
      shared?.give(total)
    }
  } finally {
    // The consumer stopped (done, error, abort): let the producer finish its current pull, then
    // let the source clean up (close its HTTP iteration), and give back whatever was still held.
    stopped = true
    wakeProducer()
    await producer
    shared?.give(queued + handedOut)
    await it.return?.(undefined).catch(() => undefined)
  }
}
