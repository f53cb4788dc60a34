import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { cursorString, laterTime, resourceCursor, sinceWatermark } from './cursor.ts'

export interface WatermarkSpec {
  resource: ResourceName
  path: string
  /**
   * The query for records changed after `since`; `since` is undefined on a first run or a full
   * refresh, where the query must return everything (users: DEPROVISIONED included).
   */
  query(since: string | undefined, pageSize: number): Record<string, string | number>
  pageSize: number
  /** The change timestamps of one record; the watermark is the max over all of them. */
  timestamps(record: Record<string, unknown>): unknown[]
  /**
   * `page`: results come sorted ascending by the (single) watermark field, so each page's batch may
   * advance the watermark to that page's max: nothing later than it can still be unread.
   * `end`: unsorted results; only the last batch advances it (a crash means re-reading, harmless).
   */
  advance: 'page' | 'end'
}

/**
 * Incremental by a `lastUpdated`-style watermark, upserting by primary key. Cursor (resource level):
 * `{ watermark }`, the max timestamp of the records loaded. The next run asks for records changed
 * after `watermark − lookback − 1 ms` (see `sinceWatermark`). A full refresh lists everything and
 * its last batch sweeps the table: records no longer listed are marked deleted.
 */
export function watermarkExtractor(spec: WatermarkSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const saved = ctx.fullRefresh ? undefined : cursorString(resourceCursor(ctx.state), 'watermark')
    const since = saved === undefined ? undefined : sinceWatermark(saved, ctx.options.lookbackMs)
    // A full refresh restarts the watermark from what it sees; an incremental run never moves it back.
    let watermark = saved
    let committed = saved
    const stateAt = (): ExtractBatch['state'] => {
      if (watermark === committed || watermark === undefined) return []
      committed = watermark
      return [{ resource, parentId: '', cursor: { watermark } }]
    }

    let finished = false
    const pages = ctx.client.pages(spec.path, { query: spec.query(since, spec.pageSize), ...(ctx.signal ? { signal: ctx.signal } : {}) })
    for await (const page of pages) {
      for (const record of page.items) for (const t of spec.timestamps(record)) watermark = laterTime(watermark, t)
      const last = page.nextUrl === null
      const batch: ExtractBatch = {
        resource,
        records: page.items,
        state: spec.advance === 'page' || last ? stateAt() : [],
      }
      if (last && ctx.fullRefresh) batch.sweep = { resource }
      finished ||= last
      yield batch
    }
    // The client ended the listing without a final page marker: close it with the pending work.
    if (!finished) {
      const state = stateAt()
      if (state.length > 0 || ctx.fullRefresh) yield { resource, records: [], state, ...(ctx.fullRefresh ? { sweep: { resource } } : {}) }
    }
  }
}
