import type { ColumnType } from '../schema/types.ts'

/**
 * The widening lattice (see src/schema/types.ts and the README):
 *   boolean → bigint → double → text → json,  timestamp → text → json.
 * `canWiden(from, to)` says whether a column of type `from` may become `to` without losing values.
 * (boolean → bigint/double is accepted too: true/false become 1/0, as both databases cast them.)
 */
const ABOVE: Record<ColumnType, readonly ColumnType[]> = {
  boolean: ['bigint', 'double', 'text', 'json'],
  bigint: ['double', 'text', 'json'],
  double: ['text', 'json'],
  timestamp: ['text', 'json'],
  text: ['json'],
  json: [],
}

export function canWiden(from: ColumnType, to: ColumnType): boolean {
  return ABOVE[from].includes(to)
}

export const COLUMN_TYPES: readonly ColumnType[] = ['boolean', 'bigint', 'double', 'timestamp', 'text', 'json']

export function isColumnType(value: string): value is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(value)
}
