import type { OktaClient, Page, PageRequest } from '../okta/types.ts'

/**
 * A view of the shared client that counts the pages one resource fetched, for per-resource
 * progress. Pacing, retries and bucket counters stay in the shared client underneath.
 */
export function countingClient(client: OktaClient): OktaClient & { requests(): number } {
  let requests = 0
  return {
    async *pages<T>(pathOrUrl: string, opts?: PageRequest): AsyncIterable<Page<T>> {
      for await (const page of client.pages<T>(pathOrUrl, opts)) {
        requests += 1
        yield page
      }
    },
    async get<T>(pathOrUrl: string, opts?: PageRequest): Promise<T> {
      requests += 1
      return client.get<T>(pathOrUrl, opts)
    },
    stats: () => client.stats(),
    close: () => client.close(),
    requests: () => requests,
  }
}
