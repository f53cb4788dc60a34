import type { ExtractContext } from '../types.ts'
import { cursorString, oktaTime, parseTime, resourceCursor } from './cursor.ts'
import { LOG_RETENTION_MS } from './log-polling.ts'
import { readStringMap, SEEN_CAP, SeenSet, versionOf } from './seen-set.ts'

const LOG_PAGE_SIZE = 1000

/**
 * The resource-level cursor of a per-parent resource narrowed by the System Log (per-parent
 * cursors are the resource's own).
 * - `passStartedAt`: when the last complete pass started (the `until` of its System Log query).
 * - `logSince`: where the next pass's System Log query starts. After a pass that re-pulled every
 *   parent it is `passStartedAt` (every change before it is in the tables); after a narrowed pass
 *   it is `passStartedAt − lookback` (never earlier than the previous `logSince`), since an event
 *   may be persisted a little after it was published.
 * - `seenEvents`: `uuid → published` of the events of that overlap (published ≥ `logSince`)
 *   already acted upon: the next pass skips them instead of re-pulling the same parents.
 *   At most `SEEN_CAP` entries; past it the oldest are just acted upon again.
 */
export interface NarrowingCursor {
  passStartedAt: string
  logSince: string
  seenEvents?: Record<string, string>
}

/** The cursor a pass commits when it was not narrowed (first run, full refresh, no System Log). */
export function fullPassCursor(passStartedAt: string): NarrowingCursor {
  return { passStartedAt, logSince: passStartedAt }
}

/**
 * Feeds `onEvent` every System Log event matching `filter` since the last pass that this resource
 * has not acted upon yet, and returns the cursor the pass commits once every re-pull is done; or
 * undefined when the pass cannot be narrowed: System Log not selected, a full refresh, no previous
 * pass, or a previous pass older than the log's retention. One bounded (since + until), filtered
 * query on the logs bucket: finite pages, ordered by `published`.
 */
export async function eventsSinceLastPass(
  ctx: ExtractContext,
  spec: { resource: string; filter: string; until: string; onEvent(event: Record<string, unknown>): void },
): Promise<NarrowingCursor | undefined> {
  if (ctx.fullRefresh || !ctx.selected.includes('system_log')) return undefined
  const saved = resourceCursor(ctx.state)
  const last = parseTime(cursorString(saved, 'passStartedAt'))
  if (last === undefined) return undefined
  const lookbackMs = Math.max(0, ctx.options.lookbackMs)
  // Cursors written before `logSince` existed: the lookback before the last pass.
  const sinceMs = parseTime(cursorString(saved, 'logSince')) ?? last - lookbackMs
  if (sinceMs < ctx.now().getTime() - LOG_RETENTION_MS) {
    ctx.logger({ level: 'warn', event: 'extract.full_pass', msg: `${spec.resource}: last pass is older than System Log retention; re-pulling every parent`, resource: spec.resource })
    return undefined
  }
  const actedUpon = new SeenSet(readStringMap(saved, 'seenEvents'))
  const nextSinceMs = Math.max(sinceMs, (parseTime(spec.until) ?? 0) - lookbackMs)
  const seen = new SeenSet(new Map(), SEEN_CAP)

  const query = { since: oktaTime(sinceMs), until: spec.until, filter: spec.filter, limit: LOG_PAGE_SIZE }
  for await (const page of ctx.client.pages('/api/v1/logs', { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const event of page.items) {
      const uuid = event['uuid']
      const version = versionOf([event['published']])
      if (typeof uuid === 'string' && version !== undefined) {
        // This pass acts upon every event of its window: those it skips were acted upon before.
        seen.add(uuid, version)
        if (actedUpon.has(uuid, version)) continue
      }
      spec.onEvent(event)
    }
  }
  seen.prune(nextSinceMs)
  return {
    passStartedAt: spec.until,
    logSince: oktaTime(nextSinceMs),
    ...(seen.size > 0 ? { seenEvents: seen.toJSON() } : {}),
  }
}

/** Ids of every record of a complete listing (e.g. every app), one request per page. */
export async function listIds(ctx: ExtractContext, path: string, query: Record<string, string | number>): Promise<Set<string>> {
  const ids = new Set<string>()
  for await (const page of ctx.client.pages(path, { query, ...(ctx.signal ? { signal: ctx.signal } : {}) })) {
    for (const record of page.items) if (typeof record['id'] === 'string') ids.add(record['id'])
  }
  return ids
}
