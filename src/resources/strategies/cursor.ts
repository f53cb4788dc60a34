import type { StateRow } from '../../state/types.ts'

/** The start of time for Okta's date expressions: a `gt` on it matches every record. */
export const EPOCH = '1970-01-01T00:00:00.000Z'

/** The resource-level cursor (state row with parentId ''), if any. */
export function resourceCursor(state: readonly StateRow[]): unknown {
  return state.find((row) => row.parentId === '')?.cursor ?? undefined
}

/** The resource-level state row (for its `updatedAt`), if any. */
export function resourceRow(state: readonly StateRow[]): StateRow | undefined {
  return state.find((row) => row.parentId === '')
}

/** Per-parent cursors by parent id. */
export function parentCursors(state: readonly StateRow[]): Map<string, unknown> {
  const map = new Map<string, unknown>()
  for (const row of state) if (row.parentId !== '') map.set(row.parentId, row.cursor)
  return map
}

/** Reads a string field of a JSON cursor value; anything malformed reads as absent. */
export function cursorString(cursor: unknown, key: string): string | undefined {
  if (cursor === null || typeof cursor !== 'object') return undefined
  const value = (cursor as Record<string, unknown>)[key]
  return typeof value === 'string' ? value : undefined
}

/** Parses an ISO-8601 timestamp; undefined for anything else (null, absent, garbage). */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** Okta's date-expression form: `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (UTC, milliseconds). */
export function oktaTime(ms: number): string {
  return new Date(Math.max(0, ms)).toISOString()
}

/** The later of two ISO timestamps (either may be absent or unparseable). */
export function laterTime(a: string | undefined, b: unknown): string | undefined {
  const bt = parseTime(b)
  if (bt === undefined) return a
  const at = parseTime(a)
  return at === undefined || bt > at ? oktaTime(bt) : a
}

/**
 * The lower bound for the next incremental query (`field gt "<since>"`) after a watermark.
 *
 * Subtracts the lookback (Okta's search index is eventually consistent: a record may surface a
 * little after records stamped later) and one more millisecond, so that records stamped in the
 * very millisecond of the watermark are read again: with sorted paging the watermark is committed
 * per page, and the next page may start with more records of that same millisecond. `gt` alone
 * would skip them after a crash between those pages even with no lookback. Re-reading them is
 * harmless (upserts).
 */
export function sinceWatermark(watermark: string, lookbackMs: number): string {
  const ms = parseTime(watermark) ?? 0
  return oktaTime(ms - Math.max(0, lookbackMs) - 1)
}
