import type { ColumnType, RowValue } from './types.ts'
import { toJsonText } from './json-text.ts'
import { widenValue } from './type-lattice.ts'

/**
 * Type inference for scalar JSON values and their encoding for a column (the lattice itself, the
 * join and what a widening does to a value, is type-lattice.ts).
 */

/**
 * Matches ISO-8601 date-times WITH a zone designator (`Z` or `±hh:mm`) and at most millisecond
 * precision. A date-time without a zone is ambiguous (its instant depends on the reader's time
 * zone) and a date alone is not an instant, so both stay text; so do finer fractions, which
 * neither JavaScript's Date nor SQLite's stored form holds: as text they keep every digit.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/

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
 * The canonical UTC form (`YYYY-MM-DDTHH:MM:SS.sssZ`) of a valid ISO-8601 date-time string with a
 * zone and at most millisecond precision, or null when `text` is not one (including impossible
 * dates such as `2023-02-30T00:00:00Z`). Okta's own form is already canonical and returned as is.
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

/**
 * The type a scalar (non-null, non-object) JSON value infers to: a function of the value alone
 * (never of what the column already holds), so every arrival order joins the same set of types.
 * Integers are `bigint` only within ±2^53: a double column holds those exactly, so the widening
 * bigint → double never rounds a stored value (an int64 beyond 2^53 is text, exact digits: were it
 * `bigint`, a later double in another batch would widen its column to double and round it).
 */
export function scalarType(value: string | number | boolean | bigint): ColumnType {
  switch (typeof value) {
    case 'string':
      return parseTimestamp(value) === null ? 'text' : 'timestamp'
    case 'boolean':
      return 'boolean'
    case 'bigint':
      return value >= MIN_SAFE && value <= MAX_SAFE ? 'bigint' : 'text'
    default:
      // An integral number beyond 2^53 was already rounded by whoever parsed it: a double.
      return Number.isSafeInteger(value) ? 'bigint' : 'double'
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * Encodes a raw JSON value of inferred type `type` for a column of type `column` (which fits it:
 * `column` is `type` or above it on the lattice). The result is what `widenValue` would make of the
 * value stored in a `type` column, so a value reads the same whichever column type it met first.
 * `type` is `json` for arrays, objects and declared free-form paths: their JSON text, as is.
 */
export function encodeValue(raw: unknown, type: ColumnType, column: ColumnType): RowValue {
  if (raw === null || raw === undefined) return null
  if (type === 'json') return toJsonText(raw)
  let value: RowValue
  switch (type) {
    case 'timestamp':
      value = parseTimestamp(raw as string)
      break
    case 'double':
      value = (raw as number) === 0 ? 0 : Number(raw)
      break
    case 'bigint':
      value = typeof raw === 'bigint' ? Number(raw) : (raw as number) === 0 ? 0 : (raw as number)
      break
    case 'text':
      value = typeof raw === 'string' ? raw : String(raw)
      break
    default:
      value = raw as boolean
  }
  return column === type ? value : widenValue(value, type, column)
}

/** The text a scalar takes in a text column (what `encodeValue(raw, scalarType(raw), 'text')` gives). */
export function scalarText(raw: string | number | boolean | bigint): string {
  if (typeof raw === 'string') return parseTimestamp(raw) ?? raw
  return encodeValue(raw, scalarType(raw), 'text') as string
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
