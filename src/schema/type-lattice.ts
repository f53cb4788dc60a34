import type { ColumnType, RowValue } from './types.ts'

/**
 * The one type lattice: which column types exist, the join of two types, which widenings are
 * legal, and what a widening does to a value already stored. The normalizer decides with it; a
 * destination only performs it (its DDL must turn every stored value `v` of a `from` column into
 * `widenValue(v, from, to)`, which test/schema/lattice-agreement.test.ts checks on real databases).
 *
 *   bigint → double → text → json      boolean → text      timestamp → text
 *
 * Why each value converts along the chain, step by step, and never "directly": the representation
 * of a value must depend only on the value and the column's final type, not on the order in which
 * records arrived. A number stored in a text column (because a string came first) and later
 * widened to json can only become a JSON string (the text column no longer knows it was a
 * number); so a number written straight into a json column becomes the same JSON string. The
 * conversions compose (`widenValue(widenValue(v, a, b), b, c)` = `widenValue(v, a, c)`), and the
 * join is commutative and associative, so any arrival order ends at the same column and values.
 */

export const COLUMN_TYPES: readonly ColumnType[] = ['boolean', 'bigint', 'double', 'timestamp', 'text', 'json']

export function isColumnType(value: string): value is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(value)
}

/** Least upper bound (join) of two column types: the lowest type above both. */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a
  if (a === 'json' || b === 'json') return 'json'
  if ((a === 'bigint' && b === 'double') || (a === 'double' && b === 'bigint')) return 'double'
  return 'text'
}

/** True when a column of type `from` may become `to` (strictly above it on the lattice). */
export function canWiden(from: ColumnType, to: ColumnType): boolean {
  return from !== to && widenType(from, to) === to
}

/** True when a value of type `value` fits a column of type `column` without widening. */
export function fits(column: ColumnType, value: ColumnType): boolean {
  return widenType(column, value) === column
}

/**
 * The text of a double: JavaScript's shortest round-trip form (`0.1`, `1e-7`, `1e+21`), with `-0`
 * as `0` (an integral value reads the same whether it arrived as an integer or a double).
 */
export function doubleText(value: number): string {
  return value === 0 ? '0' : String(value)
}

/**
 * One stored value of a `from` column as it must read in the wider `to` column, following the
 * chain edge by edge. Values are encoded as `RowBatch` documents (see types.ts): booleans,
 * numbers or bigints, canonical timestamp text, text, JSON text.
 *   bigint → double: the number (only integers within ±2^53 are ever `bigint`, see infer.ts).
 *   → text: booleans `true`/`false`, integers their digits, doubles `doubleText`, timestamps their
 *     canonical UTC text (already what the column holds).
 *   text → json: a JSON string.
 */
export function widenValue(value: RowValue, from: ColumnType, to: ColumnType): RowValue {
  if (value === null || from === to) return value
  if (!canWiden(from, to)) throw new TypeError(`no widening from ${from} to ${to}`)
  if (to === 'double') return Number(value)
  const text = from === 'text' ? value : textOf(value, from)
  return to === 'text' ? text : JSON.stringify(text)
}

function textOf(value: RowValue, from: ColumnType): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') return from === 'double' ? doubleText(value) : String(value === 0 ? 0 : value)
  return String(value)
}
