import type { ColumnType, RowValue } from '../../schema/types.ts'

/**
 * Per-column value conversion for SQLite's hot write path, chosen once per statement shape so the
 * per-row loop is a plain array walk. Values arrive encoded as src/schema/types.ts documents
 * (boolean, bigint|number, number, ISO string, string, JSON text); these functions also make a
 * value of an unexpected JS type land in the column's type (e.g. a number in a text column).
 */
export type Binder = (v: RowValue) => unknown

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * SQLite (better-sqlite3) bindings. better-sqlite3 cannot bind booleans, binds every JS number as a
 * REAL (so 5 in a TEXT column would read back as '5.0'), and rejects BigInts outside int64:
 * convert exactly those cases and leave everything else untouched (`null` = no conversion).
 */
export function sqliteBinder(type: ColumnType): Binder | null {
  switch (type) {
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)
    case 'bigint':
      return (v) =>
        typeof v === 'bigint' ? (v >= INT64_MIN && v <= INT64_MAX ? v : v.toString()) : typeof v === 'boolean' ? (v ? 1 : 0) : v
    case 'double':
      return (v) => (typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v)
    case 'timestamp':
      return (v) => (typeof v === 'string' ? canonicalTimestamp(v) : v)
    case 'text':
    case 'json':
      return (v) => (v === null || typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v))
  }
}

/**
 * SQLite keeps timestamps as TEXT, so one canonical form (`2024-05-01T12:00:00.000Z`, what Okta
 * sends and what `Date#toISOString` and our Postgres timestamp→text widening produce) keeps string
 * comparison and ordering correct. The common case is a length/character check, not a parse.
 */
export function canonicalTimestamp(s: string): string {
  if (s.length === 24 && s.charCodeAt(23) === 90 && s.charCodeAt(10) === 84 && s.charCodeAt(19) === 46) return s
  const ms = Date.parse(s)
  if (Number.isNaN(ms)) return s
  return new Date(ms).toISOString()
}
