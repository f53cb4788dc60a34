import type { OktaClient, Page, PageRequest } from '../okta/types.ts'
import { WaitClock } from '../okta/wait-clock.ts'

/**
 * A view of the shared client for one resource: counts the pages it fetched and the wall-clock
 * time its requests spent blocked (pacing, backoff; concurrent waits count once), for per-resource
 * progress. Pacing, retries and bucket counters stay in the shared client underneath.
 */
export function countingClient(client: OktaClient): OktaClient & { requests(): number; waitMs(): number } {
  let requests = 0
  const waits = new WaitClock()
  const withClock = (opts: PageRequest | undefined): PageRequest => ({ ...opts, waits })
  return {
    async *pages<T>(pathOrUrl: string, opts?: PageRequest): AsyncIterable<Page<T>> {
      for await (const page of client.pages<T>(pathOrUrl, withClock(opts))) {
        requests += 1
        yield page
      }
    },
    async get<T>(pathOrUrl: string, opts?: PageRequest): Promise<T> {
      requests += 1
      return client.get<T>(pathOrUrl, withClock(opts))
    },
    stats: () => client.stats(),
    close: () => client.close(),
    requests: () => requests,
    waitMs: () => waits.totalMs,
  }
}
