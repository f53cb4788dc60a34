/**
 * The schema vocabulary shared by the normalizer (src/schema) and the destinations
 * (src/destinations). Pure data: no SQL, no HTTP.
 */

/**
 * Column types, ordered by the widening lattice documented in the README:
 *   bigint → double → text → json,  boolean → text,  timestamp → text.
 * A value that does not fit its column widens the column to the least type above both.
 */
export type ColumnType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'text' | 'json'

export interface ColumnDef {
  /** SQL identifier (already snake_cased, shortened, de-collided). Always quoted by destinations. */
  name: string
  /**
   * Where the value comes from in the record: JSON path segments, e.g. ['profile', 'firstName'].
   * Empty for system columns (`_load_id`, `_deleted_at`, `_parent_id`, `_idx`).
   */
  path: string[]
  type: ColumnType
}

export interface TableDef {
  /** SQL identifier, e.g. `users`, `system_log__target`. */
  name: string
  /** Parent table for child tables (arrays of objects); rows link by `_parent_id` + `_idx`. */
  parent?: string
  /**
   * Child tables only: the record path of the array (in the parent record) whose elements are this
   * table's rows, e.g. ['target'] for `system_log__target`. Destinations must store it and give it
   * back from `readSchema()`: it is what keeps the path → table mapping stable across runs when a
   * table name had to be shortened or de-collided.
   */
  path?: string[]
  /** Primary key column names. Child tables: ['_parent_id', '_idx']. */
  primaryKey: string[]
  columns: ColumnDef[]
}

export type SchemaChange =
  | { kind: 'create_table'; table: TableDef }
  | { kind: 'add_column'; table: string; column: ColumnDef }
  | { kind: 'widen_column'; table: string; column: string; from: ColumnType; to: ColumnType }

/**
 * Normalized rows for one table. `columns` names the columns the values are aligned with
 * (a subset of the table's columns, in a stable order for a given shape so destinations can
 * cache one prepared statement per (table, columns) pair).
 *
 * Value encoding, by column type:
 *   boolean → boolean; bigint → bigint or number (a safe integer); double → number;
 *   timestamp → ISO-8601 string; text → string; json → JSON text (string). Absent → null.
 */
export interface RowBatch {
  table: string
  columns: string[]
  rows: RowValue[][]
  /** Child tables only: the parent keys whose child rows this batch replaces (delete then insert). */
  replaceChildrenOf?: string[]
}

export type RowValue = null | boolean | number | bigint | string

/**
 * How a resource's records map to a table. Declared by each resource (plain data, so the schema
 * layer stays free of resource logic).
 */
export interface TableHints {
  /** Root table name, e.g. `users`. */
  table: string
  /** Primary key as record paths, e.g. [['id']] or [['group_id'], ['user_id']]. */
  primaryKey: string[][]
  /** Paths kept as one JSON column instead of being flattened (free-form maps). e.g. [['settings'], ['_links']] */
  jsonPaths?: string[][]
  /** Paths dropped entirely. */
  ignorePaths?: string[][]
  /**
   * Columns the source declares before any record holds a value (the user profile schema): each
   * is created with its declared type when absent; an existing column is widened to the join of
   * its type and the declared one (never narrowed). Values that contradict the declared type
   * widen the column as any value does.
   */
  declaredColumns?: readonly DeclaredColumn[]
}

export interface DeclaredColumn {
  path: string[]
  type: ColumnType
}
