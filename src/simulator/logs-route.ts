/**
 * GET /api/v1/logs. Polling (no `until`, ascending) reads in persistence order and its `next`
 * link never ends; bounded (both ends, or descending) reads in `published` order and ends.
 */
import { fail, type ApiResponse } from './api-response.ts'
import { parseParam } from './expression-errors.ts'
import { evaluate, parseDate, type Expr, type ExpressionRules } from './filter-expression.ts'
import type { EventPredicate } from './log-store.ts'
import { DAY } from './org-generator.ts'
import { decodeCursor, encodeCursor, linkHeaders, parseLimit } from './pagination.ts'
import type { RouteContext } from './route-context.ts'

const RETENTION_MS = 90 * DAY
const MAX_SINCE_MS = 180 * DAY
const DEFAULT_WINDOW_MS = 7 * DAY

const FILTER_RULES: ExpressionRules = {
  allow: (attr, op) =>
    attr !== 'published'
    && !(op === 'co' && (attr === 'debugContext.debugData.url' || attr === 'debugContext.debugData.requestUri')),
  dateAttrs: new Set(),
  allowNot: true,
}

function dateParam(query: URLSearchParams, name: 'since' | 'until'): number | null {
  const raw = query.get(name)
  if (raw === null || raw === '') return null
  const ms = parseDate(raw)
  if (ms === undefined) {
    const cause = `${name}: The date format in your query is not recognized. Please enter dates using ISO8601 string format.`
    fail(400, 'E0000001', `Api validation failed: '${name}': The date format in your query is not recognized. Please enter dates using ISO8601 string format.`, [cause])
  }
  return ms as number
}

export function listLogs(ctx: RouteContext): ApiResponse {
  const { store, query } = ctx
  const now = store.clock.nowMs()
  const since = dateParam(query, 'since')
  const until = dateParam(query, 'until')
  const after = query.get('after')
  // A `next` link keeps its original `since`: a long-running poll must not start failing on it.
  if (since !== null && after === null && since < now - MAX_SINCE_MS) {
    fail(400, 'E0000053', 'Invalid parameter: The since parameter is over 180 days prior to the current day.')
  }
  const limit = parseLimit(query.get('limit'), 100, 1000, 0)
  const sortOrder = (query.get('sortOrder') ?? 'ASCENDING').toUpperCase()
  if (sortOrder !== 'ASCENDING' && sortOrder !== 'DESCENDING') {
    fail(400, 'E0000001', 'Api validation failed: sortOrder', ['sortOrder: must be ASCENDING or DESCENDING'])
  }
  const filter = query.get('filter')
  const expr: Expr | null = filter === null ? null : parseParam(filter, FILTER_RULES, 'filter')
  const keywords = (query.get('q') ?? '').toLowerCase().split(/\s+/).filter((k) => k !== '')
  let predicate: EventPredicate | null = null
  if (expr || keywords.length > 0) {
    predicate = (get) => {
      if (expr && !evaluate(expr, get)) return false
      if (keywords.length === 0) return true
      const text = JSON.stringify(get('$')).toLowerCase()
      return keywords.every((k) => text.includes(k))
    }
  }
  const floor = now - RETENTION_MS

  if (until === null && sortOrder === 'ASCENDING') {
    const cursor = decodeCursor(after, 'p', ['number'])
    const start = cursor ? (cursor[0] as number) : store.logs.seqPersistedSince(since ?? now - DEFAULT_WINDOW_MS)
    const page = store.logs.poll(start, limit, now, floor, predicate)
    return {
      status: 200,
      body: page.items,
      // Polling never ends: `next` is there even on an empty page.
      links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, encodeCursor('p', page.nextSeq)),
    }
  }

  const untilMs = until ?? now
  const sinceMs = since ?? untilMs - DEFAULT_WINDOW_MS
  const cursor = decodeCursor(after, 'b', ['number', 'number'])
  const page = store.logs.bounded({
    since: sinceMs,
    until: untilMs,
    descending: sortOrder === 'DESCENDING',
    after: cursor ? [cursor[0] as number, cursor[1] as number] : null,
    limit,
    floor,
    predicate,
  })
  const next = page.next ? encodeCursor('b', page.next[0], page.next[1]) : null
  return { status: 200, body: page.items, links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next) }
}
