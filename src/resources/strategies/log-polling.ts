import type { ExtractBatch, ExtractContext, ResourceName } from '../types.ts'
import { cursorString, laterTime, oktaTime, parseTime, resourceCursor, resourceRow } from './cursor.ts'

const DAY_MS = 24 * 60 * 60 * 1000
/** Okta serves System Log events for 90 days. */
export const LOG_RETENTION_MS = 90 * DAY_MS
/** Okta rejects a `since` more than 180 days back (400 E0000053); stay a day clear of it. */
export const MAX_LOG_SINCE_MS = 179 * DAY_MS

/** The saved checkpoint (resource-level cursor). */
export interface LogCheckpoint {
  /**
   * The `next` link to resume from: its path and query verbatim (the opaque `after` cursor
   * included), without the origin, so the checkpoint survives the org being reached under another
   * base URL (a custom domain, the simulator on a new port) and never sends the token elsewhere.
   */
  next: string
  /** Latest `published` seen so far (events arrive in persistence order, so this is a max). */
  lastPublished?: string
  /** When the checkpoint was last advanced. */
  polledAt: string
  /**
   * How far the log has been read: the poll time when a page came back short (caught up), else the
   * latest `published` read. What the retention check measures against.
   */
  readUpTo?: string
  /** Where the first poll started (`since`). */
  startedFrom: string
  /** Spans of events lost because a run came later than Okta's retention. */
  gaps?: { from: string; to: string; detectedAt: string }[]
}

export interface LogPollingSpec {
  resource: ResourceName
  path: string
  pageSize: number
  /** Deletions elsewhere derived from a page of events: rows to mark deleted, records whose dependants go with them. */
  derive?(events: Record<string, unknown>[]): { deletes: NonNullable<ExtractBatch['deletes']>; cascades: NonNullable<ExtractBatch['cascades']> }
}

/**
 * System Log polling: `since` + `sortOrder=ASCENDING` and no `until`, which Okta orders by
 * persistence time, so late events (published earlier than ones already served) still arrive.
 * Each page is one batch carrying the checkpoint `{ next, lastPublished, … }`; the next run resumes
 * from the saved `next` link verbatim. A page that is empty or shorter than its limit means we have
 * caught up: stop (the link is still saved, polling never ends). Appended, de-duplicated by `uuid`.
 */
export function logPollingExtractor(spec: LogPollingSpec): (ctx: ExtractContext) => AsyncGenerator<ExtractBatch> {
  return async function* extract(ctx) {
    const { resource } = spec
    const nowMs = ctx.now().getTime()
    const saved = ctx.fullRefresh ? undefined : readCheckpoint(resourceCursor(ctx.state))
    let checkpoint: LogCheckpoint
    let start: { url: string; query?: Record<string, string | number> }

    if (saved) {
      checkpoint = { ...saved }
      start = { url: originRelative(saved.next) }
      const lastRead = parseTime(saved.readUpTo) ?? parseTime(saved.lastPublished) ?? resourceRow(ctx.state)?.updatedAt.getTime()
      const horizon = nowMs - LOG_RETENTION_MS
      if (lastRead !== undefined && lastRead < horizon) {
        const gap = { from: oktaTime(lastRead), to: oktaTime(horizon), detectedAt: oktaTime(nowMs) }
        checkpoint.gaps = [...(saved.gaps ?? []), gap]
        ctx.logger({
          level: 'warn',
          event: 'system_log.retention_gap',
          msg: `system_log: the last run read events up to ${gap.from}, older than Okta's 90-day retention; events published between ${gap.from} and ${gap.to} are lost and cannot be recovered`,
          resource,
          from: gap.from,
          to: gap.to,
        })
      }
    } else {
      const since = oktaTime(nowMs - Math.min(Math.max(0, ctx.options.systemLogStartMs), MAX_LOG_SINCE_MS))
      checkpoint = { next: '', polledAt: oktaTime(nowMs), startedFrom: since }
      start = { url: spec.path, query: { since, limit: spec.pageSize, sortOrder: 'ASCENDING' } }
    }

    const pages = ctx.client.pages(start.url, { ...(start.query ? { query: start.query } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) })
    for await (const page of pages) {
      const events = page.items
      const caughtUp = events.length < pageLimit(page.url, spec.pageSize)
      const polledAt = oktaTime(ctx.now().getTime())
      let lastPublished = checkpoint.lastPublished
      for (const event of events) lastPublished = laterTime(lastPublished, event['published'])
      const readUpTo = caughtUp ? polledAt : laterTime(checkpoint.readUpTo, lastPublished)
      checkpoint = {
        ...checkpoint,
        // Polling always has a `next`; without one, re-reading this page is the safe resume point.
        next: originRelative(page.nextUrl ?? page.url),
        ...(lastPublished === undefined ? {} : { lastPublished }),
        ...(readUpTo === undefined ? {} : { readUpTo }),
        polledAt,
      }
      const derived = spec.derive?.(events) ?? { deletes: [], cascades: [] }
      // Deletions commit with the page and its checkpoint: all or nothing.
      yield {
        resource,
        records: events,
        state: [{ resource, parentId: '', cursor: checkpoint }],
        ...(derived.deletes.length > 0 ? { deletes: derived.deletes } : {}),
        ...(derived.cascades.length > 0 ? { cascades: derived.cascades } : {}),
      }
      if (caughtUp) break
    }
  }
}

function readCheckpoint(cursor: unknown): LogCheckpoint | undefined {
  const next = cursorString(cursor, 'next')
  if (!next) return undefined
  const c = cursor as Record<string, unknown>
  const gaps = Array.isArray(c['gaps']) ? (c['gaps'] as LogCheckpoint['gaps']) : undefined
  const lastPublished = cursorString(cursor, 'lastPublished')
  const readUpTo = cursorString(cursor, 'readUpTo')
  return {
    next,
    polledAt: cursorString(cursor, 'polledAt') ?? '',
    startedFrom: cursorString(cursor, 'startedFrom') ?? '',
    ...(lastPublished === undefined ? {} : { lastPublished }),
    ...(readUpTo === undefined ? {} : { readUpTo }),
    ...(gaps ? { gaps } : {}),
  }
}

/** Path + query of a link, verbatim (no re-encoding). */
function originRelative(link: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(link)
  if (!match) return link
  const rest = match[1] ?? ''
  return rest.startsWith('/') ? rest : `/${rest}`
}

/** The `limit` the page was requested with (a saved link carries its own). */
function pageLimit(url: string, fallback: number): number {
  try {
    const limit = Number(new URL(url, 'http://localhost').searchParams.get('limit'))
    return Number.isInteger(limit) && limit > 0 ? limit : fallback
  } catch {
    return fallback
  }
}
