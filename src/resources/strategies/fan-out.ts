import { BoundedChannel } from './bounded-channel.ts'

export interface FanOutOptions {
  /** Parents worked on at once (each worker holds at most one page while it waits to hand it over). */
  concurrency: number
  /** Items queued between the workers and the consumer. Default: `concurrency`. */
  capacity?: number
  signal?: AbortSignal
}

/** Hands one item to the consumer; resolves once it is queued (back-pressure). */
export type Emit<T> = (item: T) => Promise<void>

/**
 * Runs `work` for every parent, at most `concurrency` at once, and yields what the workers emit,
 * in the order they emit it. A small fixed pool of workers pulls parents from one shared iterator
 * (a limiter of its own, never shared with the resource-level concurrency, so it cannot deadlock).
 *
 * Memory is bounded: a worker blocks on `emit` while the channel is full, so at most
 * `capacity + concurrency` items exist at any time, however many parents there are.
 *
 * The first worker error aborts the others (through the `signal` handed to `work`) and is thrown
 * to the consumer. If the consumer stops early, the workers are aborted and awaited.
 */
export async function* fanOut<P, T>(
  parents: Iterable<P>,
  options: FanOutOptions,
  work: (parent: P, emit: Emit<T>, signal: AbortSignal) => Promise<void>,
): AsyncGenerator<T> {
  const concurrency = Math.max(1, Math.floor(options.concurrency))
  const channel = new BoundedChannel<T>(options.capacity ?? concurrency)
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(options.signal?.reason)
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })

  const source = parents[Symbol.iterator]()
  const emit: Emit<T> = (item) => channel.push(item)
  const worker = async (): Promise<void> => {
    for (;;) {
      controller.signal.throwIfAborted()
      const next = source.next()
      if (next.done) return
      await work(next.value, emit, controller.signal)
    }
  }
  const workers = Promise.all(Array.from({ length: concurrency }, worker)).then(
    () => channel.close(),
    (reason: unknown) => {
      controller.abort(reason)
      channel.close({ reason })
    },
  )

  try {
    for (;;) {
      const next = await channel.next()
      if (next.done) break
      yield next.value
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    if (!controller.signal.aborted) controller.abort(new Error('fan-out stopped by its consumer'))
    channel.close({ reason: controller.signal.reason })
    await workers
  }
}
