/**
 * The client's one sleep. Node's timers take at most 2^31−1 ms: a longer delay fires after 1 ms
 * and prints a `TimeoutOverflowWarning`. Waits are capped by `okta.maxWaitSeconds` long before
 * that; the clamp here is the backstop so that no computed delay can ever reach a timer raw.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** A delay a timer accepts: finite, 0 … 2^31−1 ms. */
export function timerMs(ms: number): number {
  if (!(ms > 0)) return 0
  return Math.min(MAX_TIMER_MS, Math.ceil(ms))
}

/** Resolves after `ms` (clamped, see `timerMs`); rejects with the signal's reason on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, timerMs(ms))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
