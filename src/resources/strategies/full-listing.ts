import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { oktaTime } from './cursor.ts'

export interface FullListingSpec {
  resource: ResourceName
  path: string
  pageSize: number
  query?: Record<string, string | number>
}

/**
 * For collections with no change filter (apps): list everything every run, upsert by primary key,
 * and let the last batch sweep the table so that records no longer listed are marked deleted.
 * The cursor `{ listedAt }` only records when the last complete listing started (for `status`).
 */
export function fullListingExtractor(spec: FullListingSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const listedAt = oktaTime(ctx.now().getTime())
    const final = (): Pick<ExtractBatch, 'state' | 'sweep'> => ({
      state: [{ resource, parentId: '', cursor: { listedAt } }],
      sweep: { resource },
    })
    let finished = false
    const query = { ...spec.query, limit: spec.pageSize }
    for await (const page of ctx.client.pages(spec.path, { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
      const last = page.nextUrl === null
      finished ||= last
      yield { resource, records: page.items, state: [], ...(last ? final() : {}) }
    }
    if (!finished) yield { resource, records: [], ...final() }
  }
}
