import { sql } from 'kysely'
import type { RowBatch, RowValue } from '../../schema/types.ts'
import type { WriteMode } from '../destination.ts'
import type { BulkWriter, Tx } from '../dialect.ts'
import { DestinationSchemaError } from '../errors.ts'
import { qualify, quoteIdent } from '../identifiers.ts'
import { lastPerKey } from '../last-per-key.ts'
import type { LiveTable } from '../live-schema.ts'
import { DELETED_AT, LOAD_ID, PARENT_ID } from '../system-columns.ts'
import { stagedColumns } from '../staged-columns.ts'
import { conflictClause } from '../upsert-sql.ts'
import type { DuckdbDriver, DuckdbTx } from './driver.ts'
import { DUCKDB_TYPES } from './types.ts'

const SHAPE_CACHE_LIMIT = 500

/** A value as the staging table's VARCHAR (null = NULL); the merge casts it to the column's type. */
type Encoder = (v: RowValue) => string | null

interface StageShape {
  staging: string
  width: number
  createSql: string
  clearSql: string
  insertSql: string
  idx: number[]
  encode: Encoder[]
  /** Positions (in the batch's columns) of the primary key, for in-batch dedupe. */
  keyCols: number[]
  /** The staged columns' names, in order. */
  names: string[]
  /** Whether they are the table's physical columns in order (see `#wholeRow`); unknown until asked. */
  wholeRow?: boolean
}

/**
 * DuckDB's fast path, the same shape as Postgres' COPY: the batch goes through DuckDB's appender
 * (columnar chunks, no SQL per row) into a TEMP staging table of VARCHAR columns on the writer
 * connection, then one cached `INSERT … SELECT casts … ON CONFLICT (pk) DO …` merges it into the
 * table. The appender writes inside the batch's open transaction, so a rollback (or a SIGKILL)
 * leaves neither staged nor merged rows. An all-VARCHAR stage means a widened column only changes
 * the cached INSERT; DuckDB's casts (`::TIMESTAMPTZ`, `::JSON`, …) validate every value.
 */
export class DuckdbBulkWriter implements BulkWriter {
  readonly #driver: DuckdbDriver
  readonly #shapes = new Map<string, StageShape>()

  constructor(driver: DuckdbDriver) {
    this.#driver = driver
  }

  async writeRows(tx: Tx, mode: WriteMode, table: LiveTable, batch: RowBatch, loadId: string, fresh = false): Promise<void> {
    const { connection } = tx as DuckdbTx
    const shape = this.#shape(mode, table, batch.columns)
    if (fresh && mode === 'copy' && (await this.#wholeRow(connection, table, shape))) {
      // A backfill's page of a table it created: each key once, none there yet. The appender
      // writes straight into the table, casting each VARCHAR as the merge's casts would; a key
      // already there fails the batch (constraint error) instead of merging.
      await this.#append(connection, table.def.name, this.#driver.schema, null, batch.rows, shape)
      return
    }
    // A temp table lives with its connection; creating it inside the transaction is undone with it.
    await connection.run(shape.createSql)
    await connection.run(shape.clearSql)
    // ON CONFLICT cannot touch one key twice in a statement: keep the row a per-row upsert would
    // leave (the last; the first for `append`, which ignores later duplicates anyway).
    const rows = shape.keyCols.length === 0 ? batch.rows : mode === 'append' ? firstPerKey(batch.rows, shape.keyCols) : lastPerKey(batch.rows, shape.keyCols)
    await this.#append(connection, shape.staging, 'main', 'temp', rows, shape)
    await connection.run(shape.insertSql, mode === 'copy' ? [] : [loadId])
  }

  /**
   * Whether the staged columns are the table's physical columns, in order (an appender fills
   * whole rows by position): the recorded schema's order, checked once per shape against DuckDB's
   * own catalog, since a column rebuilt by a widening may sit elsewhere.
   */
  async #wholeRow(connection: DuckdbTx['connection'], table: LiveTable, shape: StageShape): Promise<boolean> {
    if (shape.wholeRow === undefined) {
      const reader = await connection.runAndReadAll(
        'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
        [this.#driver.schema, table.def.name] as never,
      )
      const physical = (reader.getRowsJS() as unknown[][]).map((r) => String(r[0]))
      shape.wholeRow = physical.length === shape.names.length && physical.every((n, i) => shape.names[i] === n)
    }
    return shape.wholeRow
  }

  async #append(connection: DuckdbTx['connection'], table: string, schema: string, catalog: string | null, rows: readonly (readonly RowValue[])[], shape: StageShape): Promise<void> {
    const appender = await connection.createAppender(table, schema, catalog)
    try {
      const { idx, encode, width } = shape
      for (const row of rows) {
        for (let j = 0; j < width; j++) {
          const s = encode[j]!((row[idx[j]!] ?? null) as RowValue)
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

  async deleteChildren(tx: Tx, table: LiveTable, parentIds: readonly string[]): Promise<void> {
    const col = table.byName.get(PARENT_ID)
    if (col === undefined) throw new DestinationSchemaError(`table ${table.def.name} has no ${PARENT_ID} column to replace children by`)
    // One parameter however many parents: the JSON list is unnested inside DuckDB.
    const ids = sql`select unnest(from_json(${JSON.stringify(parentIds)}, '["VARCHAR"]'))`
    const parent = col.type === 'text' ? sql.id(PARENT_ID) : sql`cast(${sql.id(PARENT_ID)} as varchar)`
    await tx.exec(sql`delete from ${this.#driver.tableRef(table.def.name)} where ${parent} in (${ids})`.compile(this.#driver.kysely))
  }

  reset(): void {
    this.#shapes.clear()
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
    const staging = `_okta_elt_stage_${width}`
    const stage = `temp.main.${quoteIdent(staging)}`
    const target = (mode === 'copy' ? names : [...names, LOAD_ID, DELETED_AT]).map(quoteIdent).join(', ')
    const selected = mode === 'copy' ? casts : [...casts, '$1::VARCHAR', 'NULL']
    const insertSql =
      `insert into ${qualify(this.#driver.schema, table.def.name)} (${target}) select ${selected.join(', ')} from ${stage}` +
      conflictClause(table.def, names, mode, 'excluded')
    const pkPos = table.def.primaryKey.map((k) => names.indexOf(k))
    shape = {
      staging,
      width,
      createSql: `create temp table if not exists ${quoteIdent(staging)} (${Array.from({ length: width }, (_, i) => `c${i + 1} VARCHAR`).join(', ')})`,
      clearSql: `delete from ${stage}`,
      insertSql,
      idx,
      encode,
      keyCols: pkPos.includes(-1) ? [] : pkPos.map((p) => idx[p]!),
      names,
    }
    if (this.#shapes.size >= SHAPE_CACHE_LIMIT) this.#shapes.clear()
    this.#shapes.set(key, shape)
    return shape
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

function firstPerKey<Row extends readonly unknown[]>(rows: readonly Row[], keyCols: readonly number[]): Row[] {
  const seen = new Set<string>()
  const out: Row[] = []
  for (const row of rows) {
    const k = keyCols.map((c) => String(row[c])).join('\u0000')
    if (seen.has(k)) continue
    seen.add(k)
    out.push(row)
  }
  return out.length === rows.length ? (rows as Row[]) : out
}
