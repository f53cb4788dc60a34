import { sql } from 'kysely'
import type { RowBatch, RowValue } from '../../schema/types.ts'
import type { WriteMode } from '../destination.ts'
import type { BulkWriter, Tx } from '../dialect.ts'
import { allChildrenOfCleared } from '../cleared-parents.ts'
import { DestinationSchemaError } from '../errors.ts'
import { qualify, quoteIdent } from '../identifiers.ts'
import type { Stage as HistoryStageRow } from '../history-writer.ts'
import { firstPerKey, lastPerKey } from '../last-per-key.ts'
import type { LiveTable } from '../live-schema.ts'
import { DELETED_AT, LOAD_ID, PARENT_ID } from '../system-columns.ts'
import { stagedColumns } from '../staged-columns.ts'
import { conflictClause } from '../upsert-sql.ts'
import type { DuckDBAppender } from '@duckdb/node-api'
import type { DuckdbDriver, DuckdbTx } from './driver.ts'
import { DUCKDB_TYPES } from './types.ts'

const SHAPE_CACHE_LIMIT = 500
const HISTORY_STAGE = '_okta_elt_history_stage'
/** Each column of the history scratch table (migrations/0005-history-stage.ts) from a staged row. */
const HISTORY_STAGE_VALUE: Record<string, (r: HistoryStageRow) => string | null> = {
  kind: (r) => r.kind,
  k1: (r) => r.k1,
  k2: (r) => r.k2,
  at_time: (r) => (r.at === undefined ? null : r.at.toISOString()),
  until_time: (r) => (r.until === undefined ? null : r.until.toISOString()),
  source: (r) => r.source ?? null,
}

/** A value as the staging table's VARCHAR (null = NULL); the merge casts it to the column's type. */
type Encoder = (v: RowValue) => string | null
/** Appends one value into a typed column. */
type Put = (appender: DuckDBAppender, v: RowValue) => void

interface StageShape {
  mode: WriteMode
  staging: string
  width: number
  createSql: string
  clearSql: string
  insertSql: string
  idx: number[]
  encode: Encoder[]
  /** Per staged column, how the direct path appends a value into the typed column (see `typedAppend`). */
  put: Put[]
  /** Positions (in the batch's columns) of the primary key, for in-batch dedupe. */
  keyCols: number[]
  /** Their encoders (the key probe's text is what the stage would hold). */
  keyEncode: Encoder[]
  /** The staged columns' names, in order. */
  names: string[]
  /** `select 1 … limit 1`: is any of the batch's keys (param 1: a JSON list of texts, or of key lists for a composite key) in the table? Null without a primary key. */
  keyCheckSql: string | null
  /** How the appender fills the table's physical columns (see `#direct`); undefined until asked, null when it cannot. */
  direct?: DirectPlan | null
}

/** Per physical column of the table, in order: a staged column's position (≥ 0), the load id, or the column's default. */
const LOAD = -1
const DEFAULT = -2
type DirectPlan = Int32Array

/**
 * DuckDB's fast path: its appender (columnar chunks, no SQL per row). A batch none of whose keys
 * the table has (a first load, replaced children; one probe decides) is appended straight into
 * the table, typed as the merge would type it. Otherwise it is the same shape as Postgres' COPY:
 * appended into a TEMP staging table of VARCHAR columns on the writer connection, then one cached
 * `INSERT … SELECT casts … ON CONFLICT (pk) DO …` merges it into the table; an all-VARCHAR stage
 * means a widened column only changes the cached INSERT, and DuckDB's casts (`::TIMESTAMPTZ`,
 * `::JSON`, …) validate every value (the direct path's appender casts the same text the same
 * way, but takes JSON text unchecked: ours is always JSON.stringify's). The appender writes inside
 * the batch's open transaction, so a rollback (or a SIGKILL) leaves neither staged nor written rows.
 */
export class DuckdbBulkWriter implements BulkWriter {
  readonly #driver: DuckdbDriver
  readonly #shapes = new Map<string, StageShape>()
  /** The history scratch table's columns in DuckDB's order (see `stageHistory`). */
  #stageOrder: (keyof typeof HISTORY_STAGE_VALUE)[] | null = null
  /** DuckDB's physical column order per table version (shared by that version's shapes). */
  readonly #physical = new Map<number, string[]>()

  constructor(driver: DuckdbDriver) {
    this.#driver = driver
  }

  async writeRows(tx: Tx, mode: WriteMode, table: LiveTable, batch: RowBatch, loadId: string, { fresh = false, clearedParents }: { fresh?: boolean; clearedParents?: ReadonlySet<string> } = {}): Promise<void> {
    const { connection } = tx as DuckdbTx
    const shape = this.#shape(mode, table, batch.columns)
    if (fresh && mode === 'copy') {
      // A backfill's page of a table it created: each key once, none there yet. A key already
      // there fails the batch (constraint error) instead of merging.
      const plan = await this.#direct(connection, table, shape)
      if (plan !== null) return this.#appendDirect(connection, table.def.name, batch.rows, shape, plan, loadId)
    }
    // ON CONFLICT cannot touch one key twice in a statement: keep the row a per-row upsert would
    // leave (the last; the first for `append`, which ignores later duplicates anyway).
    const rows = shape.keyCols.length === 0 ? batch.rows : mode === 'append' ? firstPerKey(batch.rows, shape.keyCols) : lastPerKey(batch.rows, shape.keyCols)
    if (shape.keyCheckSql !== null) {
      // Keys none of which the table has (every batch of a first load; children replaced per
      // parent, their old rows deleted just before) need no merge: an insert of new keys is what
      // the merge would do with them, so they are appended straight into the table, typed as
      // the merge's casts type them. One probe of the table's keys decides; it sees this
      // transaction's own writes (DuckDB's MVCC), so an earlier write of this commit counts.
      const plan = await this.#direct(connection, table, shape)
      if (plan !== null && (allChildrenOfCleared(table, shape, rows, clearedParents) || !(await this.#anyKeyPresent(connection, shape, rows)))) return this.#appendDirect(connection, table.def.name, rows, shape, plan, loadId)
    }
    // A temp table lives with its connection; creating it inside the transaction is undone with it.
    await connection.run(shape.createSql)
    await connection.run(shape.clearSql)
    await this.#append(connection, shape.staging, rows, shape)
    await connection.run(shape.insertSql, mode === 'copy' ? [] : [loadId])
  }

  async #anyKeyPresent(connection: DuckdbTx['connection'], shape: StageShape, rows: readonly (readonly RowValue[])[]): Promise<boolean> {
    const { keyCols, keyEncode } = shape
    const keys = keyCols.length === 1 ? rows.map((row) => keyEncode[0]!((row[keyCols[0]!] ?? null) as RowValue)) : rows.map((row) => keyCols.map((c, i) => keyEncode[i]!((row[c] ?? null) as RowValue)))
    const reader = await connection.runAndReadAll(shape.keyCheckSql!, [JSON.stringify(keys)])
    return reader.currentRowCount > 0
  }

  /**
   * How an appender (which fills whole rows, by position) writes this shape into the table: per
   * physical column in DuckDB's own catalog order (a column rebuilt by a widening may sit
   * elsewhere than the recorded schema says), the staged column it takes, the load id, or the
   * column's default (NULL: what an INSERT naming only the staged columns leaves there). Read once
   * per table version (a shape is one version of the table, and a version is never reused).
   */
  async #direct(connection: DuckdbTx['connection'], table: LiveTable, shape: StageShape): Promise<DirectPlan | null> {
    if (shape.direct === undefined) {
      let physical = this.#physical.get(table.version)
      if (physical === undefined) {
        const reader = await connection.runAndReadAll(
          'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
          [this.#driver.schema, table.def.name] as never,
        )
        physical = (reader.getRowsJS() as unknown[][]).map((r) => String(r[0]))
        this.#physical.set(table.version, physical)
      }
      const managed = shape.mode !== 'copy'
      const plan = new Int32Array(physical.map((name) => {
        const at = shape.names.indexOf(name)
        if (at >= 0) return at
        return managed && name === LOAD_ID ? LOAD : DEFAULT
      }))
      const placed = new Set(plan)
      shape.direct = shape.names.every((_, i) => placed.has(i)) && (!managed || placed.has(LOAD)) ? plan : null
    }
    return shape.direct
  }

  async #appendDirect(connection: DuckdbTx['connection'], table: string, rows: readonly (readonly RowValue[])[], shape: StageShape, plan: DirectPlan, loadId: string): Promise<void> {
    const appender = await connection.createAppender(table, this.#driver.schema, null)
    try {
      const { idx, put } = shape
      const width = plan.length
      for (const row of rows) {
        for (let j = 0; j < width; j++) {
          const at = plan[j]!
          if (at === LOAD) {
            appender.appendVarchar(loadId)
            continue
          }
          if (at === DEFAULT) {
            appender.appendDefault()
            continue
          }
          put[at]!(appender, (row[idx[at]!] ?? null) as RowValue)
        }
        appender.endRow()
      }
      appender.flushSync()
    } finally {
      appender.closeSync()
    }
  }

  /** Rows into the VARCHAR staging table: each staged column's value as its text (see `encoder`). */
  #append(connection: DuckdbTx['connection'], table: string, rows: readonly (readonly RowValue[])[], shape: StageShape): Promise<void> {
    const { idx, encode, width } = shape
    return appendText(connection, table, 'main', 'temp', rows, width, (row, j) => encode[j]!((row[idx[j]!] ?? null) as RowValue))
  }

  async deleteChildren(tx: Tx, table: LiveTable, parentIds: readonly string[]): Promise<void> {
    const col = table.byName.get(PARENT_ID)
    if (col === undefined) throw new DestinationSchemaError(`table ${table.def.name} has no ${PARENT_ID} column to replace children by`)
    // One parameter however many parents: the JSON list is unnested inside DuckDB.
    const ids = sql`select unnest(from_json(${JSON.stringify(parentIds)}, '["VARCHAR"]'))`
    const parent = col.type === 'text' ? sql.id(PARENT_ID) : sql`cast(${sql.id(PARENT_ID)} as varchar)`
    await tx.exec(sql`delete from ${this.#driver.tableRef(table.def.name)} where ${parent} in (${ids})`.compile(this.#driver.kysely))
  }

  /**
   * The history scratch table filled by the appender: binding a multi-row INSERT's thousands of
   * parameters cost DuckDB tens of milliseconds a statement, and a first load with history staged
   * hundreds of them (every batch of group members re-stages the load's membership events). Each
   * value as the INSERT bound it (text; a time as its ISO text, cast to TIMESTAMPTZ), by column
   * name (DuckDB's catalog order, read once).
   */
  async stageHistory(tx: Tx, rows: readonly HistoryStageRow[]): Promise<void> {
    const { connection } = tx as DuckdbTx
    if (this.#stageOrder === null) {
      const reader = await connection.runAndReadAll(
        'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
        [this.#driver.schema, HISTORY_STAGE] as never,
      )
      this.#stageOrder = (reader.getRowsJS() as unknown[][]).map((r) => String(r[0]) as keyof typeof HISTORY_STAGE_VALUE)
    }
    if (rows.length === 0) return
    const values = this.#stageOrder.map((column) => HISTORY_STAGE_VALUE[column])
    await appendText(connection, HISTORY_STAGE, this.#driver.schema, null, rows, values.length, (row, j) => values[j]?.(row) ?? null)
  }

  reset(): void {
    this.#shapes.clear()
    this.#physical.clear()
    this.#stageOrder = null
  }

  #shape(mode: WriteMode, table: LiveTable, columns: readonly string[]): StageShape {
    const key = `${table.version}\u0000${mode}\u0000${columns.join('\u0000')}`
    let shape = this.#shapes.get(key)
    if (shape !== undefined) return shape
    const { names, idx, encode, casts } = stagedColumns(mode, table, columns, {
      encoder: encoder,
      cast: (staged, type) => `cast(${staged} as ${DUCKDB_TYPES[type]})`,
    })
    const width = names.length
    const columnTypes = names.map((n) => table.byName.get(n)!.type)
    const staging = `_okta_elt_stage_${width}`
    const stage = `temp.main.${quoteIdent(staging)}`
    const target = (mode === 'copy' ? names : [...names, LOAD_ID, DELETED_AT]).map(quoteIdent).join(', ')
    const selected = mode === 'copy' ? casts : [...casts, '$1::VARCHAR', 'NULL']
    const insertSql =
      `insert into ${qualify(this.#driver.schema, table.def.name)} (${target}) select ${selected.join(', ')} from ${stage}` +
      conflictClause(table.def, names, mode, 'excluded')
    const pkPos = table.def.primaryKey.map((k) => names.indexOf(k))
    const keyed = pkPos.length > 0 && !pkPos.includes(-1)
    // The probe compares each key as the merge's ON CONFLICT would: the staged text cast to the column's type.
    // A one-column key goes as a flat list of texts, a composite one as a list of lists.
    const single = table.def.primaryKey.length === 1
    const keyMatch = table.def.primaryKey.map((k, i) => {
      const type = table.byName.get(k)!.type
      const staged = single ? 's.k' : `s.k[${i + 1}]`
      return `t.${quoteIdent(k)} = ${type === 'text' ? staged : `cast(${staged} as ${DUCKDB_TYPES[type]})`}`
    })
    const keyCheckSql = keyed
      ? `select 1 from ${qualify(this.#driver.schema, table.def.name)} as t join (select unnest(from_json($1, '${single ? '["VARCHAR"]' : '[["VARCHAR"]]'}')) as k) as s on ${keyMatch.join(' and ')} limit 1`
      : null
    shape = {
      mode,
      staging,
      width,
      createSql: `create temp table if not exists ${quoteIdent(staging)} (${Array.from({ length: width }, (_, i) => `c${i + 1} VARCHAR`).join(', ')})`,
      clearSql: `delete from ${stage}`,
      insertSql,
      idx,
      encode,
      put: columnTypes.map((type, i) => typedAppend(type, encode[i]!)),
      keyCols: keyed ? pkPos.map((p) => idx[p]!) : [],
      keyEncode: keyed ? pkPos.map((p) => encode[p]!) : [],
      names,
      keyCheckSql,
    }
    if (this.#shapes.size >= SHAPE_CACHE_LIMIT) {
      this.#shapes.clear()
      this.#physical.clear()
    }
    this.#shapes.set(key, shape)
    return shape
  }
}

/**
 * Appends `rows` into a table whose `width` columns all take text (the VARCHAR stage, the history
 * scratch table): `cell(row, j)` is column j's text, null for NULL. Flushed and closed before it
 * returns, inside the connection's open transaction.
 */
async function appendText<Row>(
  connection: DuckdbTx['connection'],
  table: string,
  schema: string,
  catalog: string | null,
  rows: readonly Row[],
  width: number,
  cell: (row: Row, column: number) => string | null,
): Promise<void> {
  const appender = await connection.createAppender(table, schema, catalog)
  try {
    for (const row of rows) {
      for (let j = 0; j < width; j++) {
        const s = cell(row, j)
        if (s === null) appender.appendNull()
        else appender.appendVarchar(s)
      }
      appender.endRow()
    }
    appender.flushSync()
  } finally {
    appender.closeSync()
  }
}

/** Staging text per column type; also lands a value of an unexpected JS type in the column's type. */
function encoder(type: keyof typeof DUCKDB_TYPES): Encoder {
  switch (type) {
    case 'boolean':
      return (v) => (v === null ? null : v === true ? 'true' : v === false ? 'false' : String(v))
    case 'bigint':
    case 'double':
      return (v) => (v === null ? null : typeof v === 'boolean' ? (v ? '1' : '0') : String(v))
    case 'timestamp':
    case 'text':
    case 'json':
      return (v) => (v === null ? null : String(v))
  }
}

/**
 * The direct path's append of a value into a column of `type`: numbers and booleans as themselves
 * where that is exactly what casting the staged text would give (a safe integer into BIGINT, any
 * number but -0 into DOUBLE, a boolean into BOOLEAN; the appender widens an INTEGER to BIGINT exactly),
 * which spares a string per value; everything else as the staged text, cast by the appender as the
 * merge's `cast(… as TYPE)` would.
 */
function typedAppend(type: keyof typeof DUCKDB_TYPES, encode: Encoder): Put {
  const asText: Put = (a, v) => {
    const s = encode(v)
    if (s === null) a.appendNull()
    else a.appendVarchar(s)
  }
  switch (type) {
    case 'bigint':
      return (a, v) => {
        if (typeof v === 'number' && Number.isSafeInteger(v)) {
          if (v >= INT32_MIN && v <= INT32_MAX) a.appendInteger(v)
          else a.appendBigInt(BigInt(v))
        } else asText(a, v)
      }
    case 'double':
      // -0 as text: String(-0) is '0', which casts to 0.
      return (a, v) => (typeof v === 'number' && !Object.is(v, -0) ? a.appendDouble(v) : asText(a, v))
    case 'boolean':
      return (a, v) => (typeof v === 'boolean' ? a.appendBoolean(v) : asText(a, v))
    default:
      return asText
  }
}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
