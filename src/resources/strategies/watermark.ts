import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { cursorString, laterTime, parseTime, resourceCursor, sinceWatermark } from './cursor.ts'
import { readStringMap, SEEN_CAP, SeenSet, versionOf } from './seen-set.ts'

export interface WatermarkSpec {
  resource: ResourceName
  path: string
  /**
   * The query for records changed after `since`; `since` is undefined on a first run or a full
   * refresh, where the query must return everything (users: DEPROVISIONED included).
   */
  query(since: string | undefined, pageSize: number): Record<string, string | number>
  pageSize: number
  /** The change timestamps of one record; the watermark is the max over all of them, the record's version all of them. */
  timestamps(record: Record<string, unknown>): unknown[]
  /**
   * `page`: results come sorted ascending by the (single) watermark field, so each page's batch may
   * advance the watermark to that page's max: nothing later than it can still be unread.
   * `end`: unsorted results; only the last batch advances it (a crash means re-reading, harmless).
   */
  advance: 'page' | 'end'
  /** Seen-set cap (tests). Default `SEEN_CAP`. */
  seenCap?: number
}

/**
 * The resource-level cursor of a watermark resource.
 * `{ watermark, seen? }`: `watermark` is the max change timestamp of the records loaded; `seen`
 * maps `id → version` (see `versionOf`) for the records loaded whose latest change is at or after
 * `watermark − lookback`, i.e. those the next query returns again. At most `SEEN_CAP` entries.
 */
export interface WatermarkCursor {
  watermark: string
  seen?: Record<string, string>
}

/**
 * An intermediate batch (not the listing's last) carries the seen-set only while it is this small;
 * past it, `{ watermark }` alone, so that a bulk change (thousands of records in one lookback
 * window) does not rewrite a large cursor with every page. A crash then costs one reload of the
 * window, nothing more.
 */
const INTERMEDIATE_SEEN_MAX = 1000

/**
 * Incremental by a `lastUpdated`-style watermark, upserting by primary key. The next run asks for
 * records changed after `watermark − lookback − 1 ms` (see `sinceWatermark`): the overlap finds
 * records the eventually-consistent search index surfaced late. Records in that overlap that were
 * already loaded at the same version (the cursor's `seen`) are skipped: the request is still made,
 * but nothing is written, so a run right after a run costs one request and no rows.
 *
 * The one thing a version cannot tell apart is a second change stamped in the very millisecond of
 * the version loaded (Okta's timestamps have millisecond resolution); `--full-refresh` reconciles.
 *
 * Crash safety: the cursor a batch carries only names records of that batch or earlier ones
 * (or of earlier runs), so a seen entry never claims a row that did not commit.
 *
 * A full refresh lists everything, ignores `seen`, and its last batch sweeps the table: records no
 * longer listed are marked deleted.
 */
export function watermarkExtractor(spec: WatermarkSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const cursor = ctx.fullRefresh ? undefined : resourceCursor(ctx.state)
    const saved = cursorString(cursor, 'watermark')
    const since = saved === undefined ? undefined : sinceWatermark(saved, ctx.options.lookbackMs)
    const lookbackMs = Math.max(0, ctx.options.lookbackMs)
    const seen = new SeenSet(saved === undefined ? new Map() : readStringMap(cursor, 'seen'), spec.seenCap ?? SEEN_CAP)
    // A full refresh restarts the watermark from what it sees; an incremental run never moves it back.
    let watermark = saved
    // Something (watermark or seen) changed since the last cursor that carried the seen-set.
    let dirty = false
    const stateAt = (final: boolean): ExtractBatch['state'] => {
      if (!dirty || watermark === undefined) return []
      seen.prune((parseTime(watermark) ?? 0) - lookbackMs)
      const withSeen = final || seen.size <= INTERMEDIATE_SEEN_MAX
      if (withSeen) dirty = false
      const value: WatermarkCursor = withSeen && seen.size > 0 ? { watermark, seen: seen.toJSON() } : { watermark }
      return [{ resource, parentId: '', cursor: value }]
    }

    let finished = false
    const pages = ctx.client.pages(spec.path, { query: spec.query(since, spec.pageSize), ...(ctx.signal ? { signal: ctx.signal } : {}) })
    for await (const page of pages) {
      const records: Record<string, unknown>[] = []
      for (const record of page.items) {
        const timestamps = spec.timestamps(record)
        for (const t of timestamps) {
          const later = laterTime(watermark, t)
          if (later !== watermark) {
            watermark = later
            dirty = true
          }
        }
        const id = record['id']
        const version = versionOf(timestamps)
        if (typeof id === 'string' && version !== undefined) {
          if (seen.has(id, version)) continue
          seen.add(id, version)
          dirty = true
        }
        records.push(record)
      }
      const last = page.nextUrl === null
      const batch: ExtractBatch = { resource, records, state: spec.advance === 'page' || last ? stateAt(last) : [] }
      if (last && ctx.fullRefresh) batch.sweep = { resource }
      finished ||= last
      yield batch
    }
    // The client ended the listing without a final page marker: close it with the pending work.
    if (!finished) {
      const state = stateAt(true)
      if (state.length > 0 || ctx.fullRefresh) yield { resource, records: [], state, ...(ctx.fullRefresh ? { sweep: { resource } } : {}) }
    }
  }
}
