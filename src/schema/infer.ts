import type { ColumnType, RowValue } from './types.ts'
import { toJsonText } from './json-text.ts'

/**
 * Type inference for scalar JSON values and the widening lattice:
 *
 *   bigint → double → text → json      boolean → text      timestamp → text
 *
 * `json` is the top: it holds anything. The least upper bound of two different types is the
 * lowest type above both (bigint ⊔ double = double; boolean ⊔ bigint = text; anything ⊔ json = json).
 */

export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

/**
 * Matches ISO-8601 date-times WITH a zone designator (`Z` or `±hh:mm`). A date-time without a zone
 * is ambiguous (its instant depends on the reader's time zone) and a date alone is not an instant,
 * so both stay text.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

const digit = (text: string, i: number): number => {
  const c = text.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : -100
}

/**
 * Okta's own form `YYYY-MM-DDTHH:MM:SS.sssZ`, checked by character codes: the regex with captures
 * was the normalizer's hottest spot. Returns the text when valid, null when it has this layout
 * but an impossible date, undefined when the layout differs (let the regex decide).
 */
function canonical(text: string): string | null | undefined {
  if (text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46) {
    return undefined
  }
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3)
  const month = digit(text, 5) * 10 + digit(text, 6)
  const day = digit(text, 8) * 10 + digit(text, 9)
  const hour = digit(text, 11) * 10 + digit(text, 12)
  const minute = digit(text, 14) * 10 + digit(text, 15)
  const second = digit(text, 17) * 10 + digit(text, 18)
  const ms = digit(text, 20) + digit(text, 21) + digit(text, 22)
  if (year < 1 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || ms < 0) return undefined
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null
  return text
}

/**
 * The canonical UTC form (`YYYY-MM-DDTHH:MM:SS.sssZ`, more fraction digits kept when given) of a
 * valid ISO-8601 date-time string, or null when `text` is not one (including impossible dates
 * such as `2023-02-30T00:00:00Z`). Okta's own form is already canonical and returned as is.
 */
export function parseTimestamp(text: string): string | null {
  const len = text.length
  // Cheap rejection before the regex: most text values are not date-times.
  if (len < 17 || len > 40 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(4) !== 45 /* - */) return null
  if (len === 24 && text.charCodeAt(23) === 90 /* Z */) {
    const fast = canonical(text)
    if (fast !== undefined) return fast
  }
  const m = TIMESTAMP.exec(text)
  if (m === null) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  const fraction = m[7] ?? ''
  if (m[8] === 'Z') {
    if (len === 24 && fraction.length === 3) return text
    return `${text.slice(0, 16)}:${pad(second, 2)}.${fraction.padEnd(3, '0')}Z`
  }
  const offHours = Number(m[10])
  const offMinutes = Number(m[11])
  if (offHours > 23 || offMinutes > 59) return null
  const sign = m[9] === '-' ? -1 : 1
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const utc = new Date(date.getTime() - sign * (offHours * 60 + offMinutes) * 60_000)
  const utcYear = utc.getUTCFullYear()
  if (utcYear < 1 || utcYear > 9999) return null
  return (
    `${pad(utcYear, 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)}T` +
    `${pad(utc.getUTCHours(), 2)}:${pad(utc.getUTCMinutes(), 2)}:${pad(utc.getUTCSeconds(), 2)}.${fraction.padEnd(3, '0')}Z`
  )
}

/** The type a scalar (non-null, non-object) JSON value infers to. */
export function scalarType(value: string | number | boolean | bigint): ColumnType {
  switch (typeof value) {
    case 'string':
      return parseTimestamp(value) === null ? 'text' : 'timestamp'
    case 'boolean':
      return 'boolean'
    case 'bigint':
      // Beyond int64 no integer column holds it: exact digits in a text column.
      return value >= INT64_MIN && value <= INT64_MAX ? 'bigint' : 'text'
    default:
      if (!Number.isInteger(value)) return 'double'
      // Integral numbers beyond ±2^63 were already rounded by whoever parsed them; keep them as doubles.
      return Math.abs(value) < 2 ** 63 ? 'bigint' : 'double'
  }
}

/** Least upper bound of two column types on the widening lattice. */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a
  if (a === 'json' || b === 'json') return 'json'
  if ((a === 'bigint' && b === 'double') || (a === 'double' && b === 'bigint')) return 'double'
  return 'text'
}

/** True when a value of type `value` fits a column of type `column` without widening. */
export function fits(column: ColumnType, value: ColumnType): boolean {
  return widenType(column, value) === column
}

const isUnsafeBigint = (v: unknown): boolean =>
  typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))

/**
 * The column type a column of type `column` must become to hold `raw` (of inferred type `type`).
 * One exception to the plain lattice: an int64 beyond ±2^53 cannot become a double without
 * rounding, so it widens a double column to text instead.
 */
export function columnTypeFor(column: ColumnType, type: ColumnType, raw: unknown): ColumnType {
  const to = widenType(column, type)
  return to === 'double' && isUnsafeBigint(raw) ? 'text' : to
}

/** Encodes a raw JSON value for a column of type `column` (which already fits it). See RowBatch. */
export function encodeValue(raw: unknown, column: ColumnType): RowValue {
  if (raw === null || raw === undefined) return null
  switch (column) {
    case 'json':
      return toJsonText(raw)
    case 'text':
      // Numbers and booleans stay raw until the batch is complete (see TableState.rawText).
      return raw as string | number | boolean | bigint
    case 'timestamp':
      return parseTimestamp(raw as string)
    case 'bigint':
      return typeof raw === 'number' && !Number.isSafeInteger(raw) ? BigInt(raw) : (raw as number | bigint)
    case 'double':
      return Number(raw)
    case 'boolean':
      return raw as boolean
  }
}

/**
 * Re-encodes a value already encoded for a `from` column as it must be for the wider `to` column
 * (rows of the current batch written before the column widened). Widening to text leaves numbers
 * and booleans as they are, so that a later widening to json in the same batch still sees a
 * number (`1.5`, not `"1.5"`); `finishText` turns them into strings once the batch is complete.
 */
export function reencodeValue(value: RowValue, from: ColumnType, to: ColumnType): RowValue {
  if (value === null || from === to) return value
  if (to === 'double') return Number(value)
  if (to === 'text') return value
  // to === 'json': strings (text, timestamps) become JSON strings; numbers, bigints and booleans
  // are their own JSON text.
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** The final text encoding of a value left unconverted by `encodeValue` / `reencodeValue`. */
export function finishText(value: RowValue): RowValue {
  return value === null || typeof value === 'string' ? value : String(value)
}

/** True when at least one element is a plain object and every element is a plain object or null. */
export function isObjectArray(array: readonly unknown[]): boolean {
  let objects = 0
  for (const e of array) {
    if (e === null) continue
    if (typeof e !== 'object' || Array.isArray(e)) return false
    objects++
  }
  return objects > 0
}
