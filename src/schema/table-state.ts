import type { ColumnType, TableDef } from './types.ts'

/**
 * The normalizer's in-memory model of one table: its columns (the schema) and a shape tree (what
 * record keys have been seen where, including keys that produced no column: nulls, empty objects,
 * empty arrays). The shape tree is what the compiled extractor is generated from.
 */

/**
 * Deepest path that flattens: an object whose path has this many segments is one JSON value
 * instead of more `a__b__…` columns. A function of the path alone (order-independent), it bounds
 * the discovery walk's recursion and the compiled extractor's nesting however deep a record goes
 * (5,000 levels of `{"a":{"a":…}}` is one JSON column at depth 10). Okta's deepest flattened path
 * is 4 (`client.geographicalContext.geolocation.lat`).
 */
export const MAX_FLATTEN_DEPTH = 10

export interface ColumnState {
  name: string
  /** Record path relative to the table's row object; [] for `_overflow`. */
  path: string[]
  type: ColumnType
  /** Position in a row array (child tables: 0 and 1 are `_parent_id` and `_idx`). */
  index: number
}

export interface KeyInfo {
  /** Column holding this path's scalar (or JSON) value. */
  col?: ColumnState
  /** Nested object seen at this path. */
  obj?: ShapeNode
  /** Child table for arrays of objects at this path (root tables only). */
  child?: TableState
  /** Declared free-form (hints.jsonPaths): the whole value is one JSON column. */
  json: boolean
  /** Declared ignored (hints.ignorePaths). */
  ignore: boolean
}

export class ShapeNode {
  readonly keys = new Map<string, KeyInfo>()
}

export type CompiledRoot = (record: Record<string, unknown>, kids: unknown[]) => unknown[] | null
export type CompiledChild = (element: Record<string, unknown>, parentId: string, idx: number) => unknown[] | null

export class TableState {
  readonly name: string
  readonly parent: TableState | null
  /** Child tables only: the array's path in the parent record. */
  readonly path: string[]
  primaryKey: string[]
  /** Data columns in row order (what RowBatch carries), including `_overflow` once it exists. */
  readonly columns: ColumnState[] = []
  readonly names = new Set<string>()
  readonly byPath = new Map<string, ColumnState>()
  readonly shape = new ShapeNode()
  readonly children: TableState[] = []
  overflow: ColumnState | null = null
  /** Row positions of the primary key columns (root tables). */
  pkIndexes: number[] = []

  /** Bumped on every change to columns or shape: a compiled extractor is valid for one version. */
  version = 0
  compiledVersion = -1
  compiledRoot: CompiledRoot | null = null
  compiledChild: CompiledChild | null = null
  /** Records the current compiled extractor handled; slow records since it was compiled. */
  hits = 0
  slowSinceCompile = 0
  /** Slow records to wait for before compiling again (grows while compiles keep going stale at once). */
  backoff = 0

  /** Hints, as path keys, relative to this table's rows. */
  jsonPaths = new Set<string>()
  ignorePaths = new Set<string>()
  hintsKey = ''

  constructor(name: string, parent: TableState | null, path: string[], primaryKey: string[]) {
    this.name = name
    this.parent = parent
    this.path = path
    this.primaryKey = primaryKey
  }

  get isRoot(): boolean {
    return this.parent === null
  }

  /** Row positions before the data columns (`_parent_id`, `_idx` in child tables). */
  get rowOffset(): number {
    return this.parent === null ? 0 : 2
  }

  get rowWidth(): number {
    return this.rowOffset + this.columns.length
  }

  /** Total column count as the database sees it (system columns included). */
  get totalColumns(): number {
    return this.columns.length + (this.parent === null ? 2 : 3)
  }

  /** The TableDef as destinations see it: system columns first for children, last for roots. */
  toDef(): TableDef {
    const data = this.columns.map((c) => ({ name: c.name, path: [...c.path], type: c.type }))
    if (this.parent === null) {
      return {
        name: this.name,
        primaryKey: [...this.primaryKey],
        columns: [...data, { name: '_load_id', path: [], type: 'text' }, { name: '_deleted_at', path: [], type: 'timestamp' }],
      }
    }
    return {
      name: this.name,
      parent: this.parent.name,
      path: [...this.path],
      primaryKey: ['_parent_id', '_idx'],
      columns: [
        { name: '_parent_id', path: [], type: 'text' },
        { name: '_idx', path: [], type: 'bigint' },
        ...data,
        { name: '_load_id', path: [], type: 'text' },
      ],
    }
  }
}

/** Unambiguous map key for a path (segments may contain any character). */
export const pathKey = (path: readonly string[]): string => JSON.stringify(path)
