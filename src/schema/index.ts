export type { ColumnDef, ColumnType, DeclaredColumn, RowBatch, RowValue, SchemaChange, TableDef, TableHints } from './types.ts'
export { Normalizer, OVERFLOW_COLUMN, PARENT_KEY_SEPARATOR } from './normalizer.ts'
export type { NormalizeResult, NormalizerOptions } from './normalizer.ts'
export { toJsonText } from './json-text.ts'
export {
  childTableNameFor,
  columnNameFor,
  NEST_SEPARATOR,
  pathToName,
  shortenIdentifier,
  snakeCase,
  SYSTEM_COLUMNS,
  uniqueIdentifier,
} from './naming.ts'
export { encodeValue, parseTimestamp, scalarText, scalarType } from './infer.ts'
export { canWiden, COLUMN_TYPES, doubleText, fits, isColumnType, widenType, widenValue } from './type-lattice.ts'
export { MAX_FLATTEN_DEPTH } from './table-state.ts'
export { SchemaError } from './errors.ts'
