import type { ColumnType, DeclaredColumn, RowBatch, RowValue, SchemaChange, TableDef, TableHints } from './types.ts'
import { compileChild, compileRoot } from './compile.ts'
import { SchemaError } from './errors.ts'
import { encodeValue, isObjectArray, scalarType } from './infer.ts'
import { toJsonText } from './json-text.ts'
import { childTableNameFor, columnNameFor, SYSTEM_COLUMNS } from './naming.ts'
import { type ColumnState, type CompiledChild, type CompiledRoot, type KeyInfo, MAX_FLATTEN_DEPTH, pathKey, ShapeNode, TableState } from './table-state.ts'
import { widenType, widenValue } from './type-lattice.ts'

export interface NormalizerOptions {
  /** The current stored schema (from `Destination.readSchema()`); names found there are kept forever. */
  tables: TableDef[]
  /** Longest identifier in bytes (Postgres: 63). */
  maxIdentifierBytes: number
  /** Most columns a table may have (system columns included); further keys go to `_overflow`. */
  maxColumns: number
  /**
   * Use compiled per-shape extractors (default true). `false` runs every record through the
   * generic discovery walk: same output, ~4× slower; for tests and the benchmark.
   */
  compile?: boolean
}

export interface NormalizeResult {
  /** To apply before writing `batches`, in order: tables created parents first, then columns added, then widenings. */
  changes: SchemaChange[]
  /** The root table's rows first, then one batch per child table (with `replaceChildrenOf`). */
  batches: RowBatch[]
}

/** Separator between primary-key values in a child row's `_parent_id` when the parent key is composite. */
export const PARENT_KEY_SEPARATOR = '/'

export const OVERFLOW_COLUMN = '_overflow'

/** Rows of one table collected during one `normalize` call. */
interface TableRows {
  rows: unknown[][]
  /** Index of the record each row came from (roots: itself; children: their parent). */
  owners: number[]
  /** Roots only: each row's primary key text. */
  keys: string[]
}

/** What one `normalize` call changed, compacted into `SchemaChange`s at the end. */
class CallLog {
  readonly created: TableState[] = []
  readonly createdSet = new Set<TableState>()
  readonly added: { table: TableState; col: ColumnState }[] = []
  readonly addedSet = new Set<ColumnState>()
  readonly widened = new Map<ColumnState, { table: TableState; from: ColumnType }>()
  readonly rows = new Map<TableState, TableRows>()

  rowsOf(table: TableState): TableRows {
    let r = this.rows.get(table)
    if (r === undefined) {
      r = { rows: [], owners: [], keys: [] }
      this.rows.set(table, r)
    }
    return r
  }
}

/** State of the slow (discovery) walk over one row. */
interface WalkContext {
  table: TableState
  row: unknown[]
  kids: unknown[]
  log: CallLog
  overflow: Record<string, unknown> | null
}

/**
 * Turns batches of Okta records into typed rows for one root table and its child tables, plus the
 * schema changes needed first. Holds the schema in memory and evolves it as records arrive: it
 * assumes the caller applies every returned change (in the same transaction as the rows). If that
 * transaction fails, rebuild the Normalizer from `Destination.readSchema()`.
 *
 * Rules (see also naming.ts, infer.ts, type-lattice.ts and README "Order independence": every
 * decision depends on the path and the value only, never on which records came first):
 *  - nested objects flatten into `a__b` columns; empty objects produce nothing; an object at
 *    MAX_FLATTEN_DEPTH is one JSON column.
 *  - arrays of objects (null elements skipped, positions kept in `_idx`) become the child table
 *    `<table>__<path>` (one level: inside a child row, arrays of any kind are one JSON column);
 *    arrays of scalars or mixed arrays are one JSON column; an empty array is always `'[]'` in the
 *    path's JSON column (created if need be, also next to a child table).
 *  - `hints.jsonPaths` are one JSON column (their keys are never flattened); `hints.ignorePaths`
 *    are dropped. Paths below an array of objects apply to the child table (`['target', 'detailEntry']`).
 *  - a key seen only with null creates no column until a non-null value arrives.
 *  - a value that does not fit its column widens the column (type-lattice.ts); an object where
 *    a scalar column exists flattens into `x__*` columns next to it; a scalar where only `x__*`
 *    columns exist gets its own `x` column.
 *  - primary-key columns are text (Okta ids and uuids are strings; a stable key type keeps
 *    `_parent_id` joins simple). Child rows carry the parent's key in `_parent_id`; a composite key
 *    is its values joined with `/` (Okta ids never contain `/`).
 *  - a record repeated within one batch (same key) keeps its last occurrence.
 *  - a table with `maxColumns` columns puts further new paths into `_overflow`, a JSON object
 *    shaped like the record (`{"profile": {"attr1500": …}}`) so no key is ever ambiguous.
 */
export class Normalizer {
  readonly #tables = new Map<string, TableState>()
  readonly #roots: TableState[] = []
  /** Stored child tables whose parent path is unknown (schema written without `TableDef.path`). */
  readonly #orphans = new Map<string, TableDef>()
  readonly #maxBytes: number
  readonly #maxColumns: number
  readonly #compile: boolean

  constructor(opts: NormalizerOptions) {
    if (!Number.isInteger(opts.maxIdentifierBytes) || opts.maxIdentifierBytes < 24) {
      throw new TypeError('maxIdentifierBytes must be an integer ≥ 24')
    }
    if (!Number.isInteger(opts.maxColumns) || opts.maxColumns < 8) throw new TypeError('maxColumns must be an integer ≥ 8')
    this.#maxBytes = opts.maxIdentifierBytes
    this.#maxColumns = opts.maxColumns
    this.#compile = opts.compile ?? true
    for (const def of opts.tables) if (def.parent === undefined) this.#loadRoot(def)
    for (const def of opts.tables) if (def.parent !== undefined) this.#loadChild(def)
  }

  /** The current schema: every table, roots each followed by their children. */
  tables(): TableDef[] {
    const defs: TableDef[] = []
    for (const root of this.#roots) {
      defs.push(root.toDef())
      for (const child of root.children) defs.push(child.toDef())
    }
    for (const def of this.#orphans.values()) defs.push(structuredClone(def))
    return defs
  }

  normalize(hints: TableHints, records: readonly Record<string, unknown>[]): NormalizeResult {
    const log = new CallLog()
    let root = this.#tables.get(hints.table)
    if (root === undefined) root = this.#createRoot(hints, log)
    else if (!root.isRoot) throw new TypeError(`table ${hints.table} is a child table`)
    this.#applyHints(root, hints)
    if (hints.declaredColumns) this.#declare(root, hints.declaredColumns, log)

    const rootRows = log.rowsOf(root)
    const kids: unknown[] = []
    for (let r = 0; r < records.length; r++) {
      const record = records[r]
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        throw new SchemaError('ERR_SCHEMA_RECORD', `${hints.table}: record ${r} of the batch is not a JSON object`)
      }
      kids.length = 0
      let row = this.#fastRoot(root, record, kids)
      if (row === null) {
        kids.length = 0
        row = this.#slowRoot(root, record, kids, log)
      }
      const key = this.#keyOf(root, row)
      rootRows.rows.push(row)
      rootRows.owners.push(r)
      rootRows.keys.push(key)
      if (kids.length > 2) sortKids(root, kids)
      for (let i = 0; i < kids.length; i += 2) this.#childRows(kids[i] as TableState, kids[i + 1] as unknown[], key, r, log)
    }
    return { changes: this.#changes(log), batches: records.length === 0 ? [] : this.#batches(root, log) }
  }

  // ---- loading the stored schema ----

  #register(table: TableState): void {
    for (const name of SYSTEM_COLUMNS) table.names.add(name)
    this.#tables.set(table.name, table)
    if (table.isRoot) this.#roots.push(table)
  }

  #loadColumns(table: TableState, def: TableDef): void {
    for (const c of def.columns) {
      if (c.path.length === 0) {
        if (c.name === OVERFLOW_COLUMN) table.overflow = this.#pushColumn(table, c.name, [], c.type)
        continue
      }
      const col = this.#pushColumn(table, c.name, c.path, c.type)
      this.#infoAt(table, c.path).col = col
    }
  }

  #loadRoot(def: TableDef): void {
    const table = new TableState(def.name, null, [], [...def.primaryKey])
    this.#register(table)
    this.#loadColumns(table, def)
    table.pkIndexes = def.primaryKey.map((name) => {
      const col = table.columns.find((c) => c.name === name)
      if (col === undefined) throw new TypeError(`stored schema of ${def.name}: primary key column ${name} is missing`)
      return col.index
    })
  }

  #loadChild(def: TableDef): void {
    const parent = def.parent === undefined ? undefined : this.#tables.get(def.parent)
    if (parent === undefined || !parent.isRoot || def.path === undefined || def.path.length === 0) {
      this.#orphans.set(def.name, structuredClone(def))
      return
    }
    this.#attachChild(parent, def.name, def.path, def)
  }

  #attachChild(parent: TableState, name: string, path: string[], def: TableDef | null): TableState {
    const child = new TableState(name, parent, [...path], ['_parent_id', '_idx'])
    this.#register(child)
    if (def !== null) this.#loadColumns(child, def)
    parent.children.push(child)
    this.#infoAt(parent, path).child = child
    parent.version++
    return child
  }

  // ---- hints ----

  #applyHints(root: TableState, hints: TableHints): void {
    const key = JSON.stringify([hints.jsonPaths ?? [], hints.ignorePaths ?? []])
    if (root.hintsKey === key) return
    root.hintsKey = key
    for (const table of [root, ...root.children]) this.#setTableHints(table, hints)
  }

  #setTableHints(table: TableState, hints: TableHints): void {
    const relative = (paths: string[][] | undefined): Set<string> => {
      const out = new Set<string>()
      const base = table.path
      for (const p of paths ?? []) {
        if (p.length > base.length && base.every((seg, i) => p[i] === seg)) out.add(pathKey(p.slice(base.length)))
      }
      return out
    }
    table.jsonPaths = relative(hints.jsonPaths)
    table.ignorePaths = relative(hints.ignorePaths)
    const visit = (node: ShapeNode, path: string[]): void => {
      for (const [key, info] of node.keys) {
        const p = [...path, key]
        info.json = table.jsonPaths.has(pathKey(p))
        info.ignore = table.ignorePaths.has(pathKey(p))
        if (info.obj !== undefined) visit(info.obj, p)
      }
    }
    visit(table.shape, [])
    table.version++
  }

  // ---- schema mutation ----

  #pushColumn(table: TableState, name: string, path: string[], type: ColumnType): ColumnState {
    const col: ColumnState = { name, path: [...path], type, index: table.rowWidth }
    table.columns.push(col)
    table.names.add(name)
    if (path.length > 0) table.byPath.set(pathKey(path), col)
    table.version++
    return col
  }

  #addColumn(table: TableState, path: string[], type: ColumnType, log: CallLog): ColumnState {
    const col = this.#pushColumn(table, columnNameFor(path, table.names, this.#maxBytes), path, type)
    if (!log.createdSet.has(table)) {
      log.added.push({ table, col })
      log.addedSet.add(col)
    }
    return col
  }

  /** Declared columns (`hints.declaredColumns`): created with their type, or widened to it. */
  #declare(table: TableState, declared: readonly DeclaredColumn[], log: CallLog): void {
    for (const d of declared) {
      if (d.path.length === 0 || d.path.length > MAX_FLATTEN_DEPTH) continue
      // A path under a JSON or ignored path has no column of its own.
      if (d.path.some((_, i) => table.jsonPaths.has(pathKey(d.path.slice(0, i + 1))) || table.ignorePaths.has(pathKey(d.path.slice(0, i + 1))))) continue
      const col = table.byPath.get(pathKey(d.path))
      if (col !== undefined) {
        const to = widenType(col.type, d.type)
        if (to !== col.type) this.#widen(table, col, to, log, [])
      } else if (this.#canAddColumn(table)) {
        this.#addColumn(table, d.path, d.type, log)
      }
    }
  }

  #canAddColumn(table: TableState): boolean {
    return table.totalColumns + (table.overflow === null ? 1 : 0) < this.#maxColumns
  }

  /**
   * Widens a column and re-encodes the rows of this batch exactly as the destination converts the
   * rows already stored (`widenValue`), so a row reads the same whichever batch it came in.
   */
  #widen(table: TableState, col: ColumnState, to: ColumnType, log: CallLog, current: unknown[]): void {
    const from = col.type
    const rows = log.rowsOf(table).rows
    if (!log.addedSet.has(col) && !log.createdSet.has(table) && !log.widened.has(col)) log.widened.set(col, { table, from })
    col.type = to
    table.version++
    const i = col.index
    for (const row of rows) if (i < row.length) row[i] = widenValue(row[i] as RowValue, from, to)
    if (i < current.length) current[i] = widenValue(current[i] as RowValue, from, to)
  }

  /** The KeyInfo at `path` in a table's shape tree, creating nodes on the way. */
  #infoAt(table: TableState, path: readonly string[]): KeyInfo {
    let node = table.shape
    let info: KeyInfo | undefined
    for (let i = 0; i < path.length; i++) {
      const key = path[i] as string
      info = node.keys.get(key)
      if (info === undefined) info = this.#newKey(table, node, key, path.slice(0, i + 1))
      if (i < path.length - 1) {
        if (info.obj === undefined) info.obj = new ShapeNode()
        node = info.obj
      }
    }
    if (info === undefined) throw new TypeError('empty path')
    table.version++
    return info
  }

  #newKey(table: TableState, node: ShapeNode, key: string, path: readonly string[]): KeyInfo {
    const k = pathKey(path)
    const info: KeyInfo = { json: table.jsonPaths.has(k), ignore: table.ignorePaths.has(k) }
    node.keys.set(key, info)
    table.version++
    return info
  }

  #createRoot(hints: TableHints, log: CallLog): TableState {
    if (hints.primaryKey.length === 0) throw new TypeError(`${hints.table}: a primary key is required`)
    const table = new TableState(hints.table, null, [], [])
    this.#register(table)
    log.created.push(table)
    log.createdSet.add(table)
    this.#setTableHints(table, hints)
    for (const path of hints.primaryKey) {
      const col = this.#addColumn(table, path, 'text', log)
      this.#infoAt(table, path).col = col
      table.primaryKey.push(col.name)
      table.pkIndexes.push(col.index)
    }
    return table
  }

  #createChild(ctx: WalkContext, info: KeyInfo, path: string[]): TableState {
    const root = ctx.table
    // A stored child table without a recorded path: adopt it when it carries the name this path gets.
    const natural = childTableNameFor(root.name, path, new Set(), this.#maxBytes)
    const orphan = this.#orphans.get(natural)
    let child: TableState
    if (orphan !== undefined && orphan.parent === root.name) {
      this.#orphans.delete(natural)
      child = this.#attachChild(root, natural, path, orphan)
    } else {
      const taken = new Set([...this.#tables.keys(), ...this.#orphans.keys()])
      child = this.#attachChild(root, childTableNameFor(root.name, path, taken, this.#maxBytes), path, null)
      ctx.log.created.push(child)
      ctx.log.createdSet.add(child)
    }
    info.child = child
    const hints = JSON.parse(root.hintsKey || '[[],[]]') as [string[][], string[][]]
    this.#setTableHints(child, { table: root.name, primaryKey: [], jsonPaths: hints[0], ignorePaths: hints[1] })
    return child
  }

  // ---- rows ----

  #fastRoot(table: TableState, record: Record<string, unknown>, kids: unknown[]): unknown[] | null {
    if (table.compiledVersion !== table.version && !this.#recompile(table)) return null
    const row = (table.compiledRoot as CompiledRoot)(record, kids)
    if (row !== null) table.hits++
    return row
  }

  #fastChild(table: TableState, element: Record<string, unknown>, parentId: string, idx: number): unknown[] | null {
    if (table.compiledVersion !== table.version && !this.#recompile(table)) return null
    const row = (table.compiledChild as CompiledChild)(element, parentId, idx)
    if (row !== null) table.hits++
    return row
  }

  /**
   * Brings the table's compiled extractor up to date, or says to use the slow path for now.
   * A compiled extractor that went stale before serving many records (a burst of new keys:
   * 2,000 custom attributes arriving one per record) doubles the wait before the next compile, so
   * such bursts cost O(log n) compilations instead of one per key; one that served well resets it.
   */
  #recompile(table: TableState): boolean {
    if (!this.#compile) return false
    if (table.compiledVersion >= 0) {
      table.backoff = table.hits >= 64 ? 1 : Math.min(Math.max(1, table.backoff * 2), 1024)
      table.compiledVersion = -1
      table.compiledRoot = null
      table.compiledChild = null
    }
    if (table.slowSinceCompile < table.backoff) return false
    if (table.isRoot) table.compiledRoot = compileRoot(table)
    else table.compiledChild = compileChild(table)
    table.compiledVersion = table.version
    table.hits = 0
    table.slowSinceCompile = 0
    return true
  }

  #slowRoot(table: TableState, record: Record<string, unknown>, kids: unknown[], log: CallLog): unknown[] {
    table.slowSinceCompile++
    const ctx: WalkContext = { table, row: new Array(table.rowWidth).fill(null), kids, log, overflow: null }
    this.#walk(ctx, table.shape, record, [])
    return this.#finishSlowRow(ctx)
  }

  #slowChild(table: TableState, element: Record<string, unknown>, parentId: string, idx: number, log: CallLog): unknown[] {
    table.slowSinceCompile++
    const row: unknown[] = new Array(table.rowWidth).fill(null)
    row[0] = parentId
    row[1] = idx
    const ctx: WalkContext = { table, row, kids: [], log, overflow: null }
    this.#walk(ctx, table.shape, element, [])
    return this.#finishSlowRow(ctx)
  }

  #finishSlowRow(ctx: WalkContext): unknown[] {
    if (ctx.overflow !== null && ctx.table.overflow !== null) ctx.row[ctx.table.overflow.index] = toJsonText(ctx.overflow)
    return ctx.row
  }

  #childRows(child: TableState, array: unknown[], parentId: string, owner: number, log: CallLog): void {
    const out = log.rowsOf(child)
    for (let i = 0; i < array.length; i++) {
      const e = array[i]
      if (e === null || typeof e !== 'object' || Array.isArray(e)) continue
      const element = e as Record<string, unknown>
      const row = this.#fastChild(child, element, parentId, i) ?? this.#slowChild(child, element, parentId, i, log)
      out.rows.push(row)
      out.owners.push(owner)
    }
  }

  /**
   * The discovery walk: every key of `o`, creating shape nodes, columns and child tables as needed.
   * Where a value goes depends only on its path and the value itself, never on what earlier
   * records created (see README "Order independence"): `[]` is always `'[]'` in the path's JSON
   * column (also next to a child table), an array of objects is always child rows, any other
   * array always JSON, an object always flattens, except at MAX_FLATTEN_DEPTH, where it is one
   * JSON value (so the walk's recursion is bounded however deep a record nests).
   */
  #walk(ctx: WalkContext, node: ShapeNode, o: Record<string, unknown>, path: string[]): void {
    const table = ctx.table
    for (const key of Object.keys(o)) {
      const v = o[key]
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue
      const p = [...path, key]
      const info = node.keys.get(key) ?? this.#newKey(table, node, key, p)
      if (info.ignore || v === null) continue
      if (info.json) {
        this.#set(ctx, info, p, 'json', v)
      } else if (typeof v !== 'object') {
        this.#set(ctx, info, p, scalarType(v as string | number | boolean | bigint), v)
      } else if (Array.isArray(v)) {
        if (v.length > 0 && table.isRoot && isObjectArray(v)) ctx.kids.push(info.child ?? this.#createChild(ctx, info, p), v)
        else this.#set(ctx, info, p, 'json', v)
      } else if (p.length >= MAX_FLATTEN_DEPTH) {
        if (hasKeys(v)) this.#set(ctx, info, p, 'json', v)
      } else {
        if (info.obj === undefined) {
          info.obj = new ShapeNode()
          table.version++
        }
        this.#walk(ctx, info.obj, v as Record<string, unknown>, p)
      }
    }
  }

  #set(ctx: WalkContext, info: KeyInfo, path: string[], type: ColumnType, raw: unknown): void {
    const table = ctx.table
    let col = info.col
    if (col === undefined) {
      col = table.byPath.get(pathKey(path))
      if (col === undefined) {
        if (!this.#canAddColumn(table)) {
          this.#toOverflow(ctx, path, raw)
          return
        }
        col = this.#addColumn(table, path, type, ctx.log)
      }
      info.col = col
      table.version++
    }
    const to = widenType(col.type, type)
    if (to !== col.type) this.#widen(table, col, to, ctx.log, ctx.row)
    ctx.row[col.index] = encodeValue(raw, type, col.type)
  }

  #toOverflow(ctx: WalkContext, path: string[], raw: unknown): void {
    const table = ctx.table
    if (table.overflow === null) {
      table.overflow = this.#pushColumn(table, OVERFLOW_COLUMN, [], 'json')
      if (!ctx.log.createdSet.has(table)) {
        ctx.log.added.push({ table, col: table.overflow })
        ctx.log.addedSet.add(table.overflow)
      }
    }
    // Null-prototype objects: a key named `__proto__` must stay a plain key.
    let o = (ctx.overflow ??= Object.create(null) as Record<string, unknown>)
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i] as string
      let next = o[seg]
      if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        next = Object.create(null) as Record<string, unknown>
        o[seg] = next
      }
      o = next as Record<string, unknown>
    }
    o[path[path.length - 1] as string] = raw
  }

  #keyOf(table: TableState, row: unknown[]): string {
    const idx = table.pkIndexes
    if (idx.length === 1) return this.#keyPart(table, row, idx[0] as number)
    const parts: string[] = []
    for (const i of idx) parts.push(this.#keyPart(table, row, i))
    return parts.join(PARENT_KEY_SEPARATOR)
  }

  #keyPart(table: TableState, row: unknown[], i: number): string {
    const v = row[i]
    if (v === null || v === undefined) {
      const col = table.columns[i - table.rowOffset]
      throw new SchemaError('ERR_SCHEMA_PRIMARY_KEY', `${table.name}: a record has no value for its primary key ${col?.name ?? '?'}`)
    }
    return typeof v === 'string' ? v : String(v)
  }

  // ---- output ----

  #changes(log: CallLog): SchemaChange[] {
    const changes: SchemaChange[] = []
    for (const table of log.created) changes.push({ kind: 'create_table', table: table.toDef() })
    for (const { table, col } of log.added) {
      changes.push({ kind: 'add_column', table: table.name, column: { name: col.name, path: [...col.path], type: col.type } })
    }
    for (const [col, { table, from }] of log.widened) {
      if (col.type !== from) changes.push({ kind: 'widen_column', table: table.name, column: col.name, from, to: col.type })
    }
    return changes
  }

  #batches(root: TableState, log: CallLog): RowBatch[] {
    const rootRows = log.rowsOf(root)
    // Last occurrence wins when a batch repeats a key (pages overlapping while Okta data moves).
    let keep: Set<number> | null = null
    const last = new Map<string, number>()
    for (let i = 0; i < rootRows.keys.length; i++) last.set(rootRows.keys[i] as string, i)
    if (last.size !== rootRows.keys.length) keep = new Set(last.values())
    const width = root.rowWidth
    const rows: RowValue[][] = []
    for (let i = 0; i < rootRows.rows.length; i++) {
      if (keep === null || keep.has(i)) rows.push(pad(rootRows.rows[i] as unknown[], width))
    }
    const batches: RowBatch[] = [{ table: root.name, columns: root.columns.map((c) => c.name), rows }]
    const parents = [...last.keys()]
    for (const child of root.children) {
      const childRows = log.rows.get(child)
      const w = child.rowWidth
      const out: RowValue[][] = []
      if (childRows !== undefined) {
        for (let i = 0; i < childRows.rows.length; i++) {
          if (keep === null || keep.has(childRows.owners[i] as number)) out.push(pad(childRows.rows[i] as unknown[], w))
        }
      }
      batches.push({
        table: child.name,
        columns: ['_parent_id', '_idx', ...child.columns.map((c) => c.name)],
        rows: out,
        replaceChildrenOf: parents,
      })
    }
    return batches
  }
}

/**
 * Orders a record's child arrays (`[table, array, …]` pairs) by child table, so that the schema
 * changes they cause come in the same order whether the compiled extractor (shape order) or the
 * generic walk (the record's key order) found them.
 */
function sortKids(root: TableState, kids: unknown[]): void {
  for (let i = 2; i < kids.length; i += 2) {
    const table = kids[i] as TableState
    const array = kids[i + 1]
    const rank = root.children.indexOf(table)
    let j = i
    while (j > 0 && root.children.indexOf(kids[j - 2] as TableState) > rank) {
      kids[j] = kids[j - 2]
      kids[j + 1] = kids[j - 1]
      j -= 2
    }
    kids[j] = table
    kids[j + 1] = array
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}

function pad(row: unknown[], width: number): RowValue[] {
  while (row.length < width) row.push(null)
  return row as RowValue[]
}
