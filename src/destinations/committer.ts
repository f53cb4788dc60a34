import { sql } from 'kysely'
import { OktaEltError } from '../util/errors.ts'
import type { Logger } from '../util/log.ts'
import type { CommitBatch } from './destination.ts'
import type { BulkWriter, DestinationOptions, SqlDriver, SqlTypeMap, Tx } from './dialect.ts'
import { DestinationSchemaError, DestinationWriteError, driverReason } from './errors.ts'
import type { HistoryWriter } from './history-writer.ts'
import type { Ledger } from './ledger.ts'
import type { LiveTable } from './live-schema.ts'
import { describeChange, requireTable } from './schema-applier.ts'
import type { SchemaApplier } from './schema-applier.ts'
import { statementChunks } from './statement-chunks.ts'
import { sweepScopes } from './sweep-scopes.ts'
import { DELETED_AT, LOAD_ID } from './system-columns.ts'

/** Keys per UPDATE statement for `deletes` (keeps parameter counts far below every database's limit). */
const KEYS_PER_STATEMENT = 500

/**
 * The commit: one transaction holding a batch's schema changes, row writes (the dialect's bulk
 * path), deletions, sweeps, the history tables, cursor state and the load's running counts, in that order. All or
 * nothing: a crash or error at any point leaves the destination as it was before the batch, so the
 * next run resumes from the cursor that was committed with the rows.
 */
export class Committer {
  readonly #driver: SqlDriver
  readonly #types: SqlTypeMap
  readonly #bulk: BulkWriter
  readonly #schema: SchemaApplier
  readonly #ledger: Ledger
  readonly #history: HistoryWriter
  readonly #displayName: string
  readonly #logger: Logger
  readonly #beforeCommit: DestinationOptions['beforeCommit']

  constructor(parts: {
    driver: SqlDriver
    types: SqlTypeMap
    bulk: BulkWriter
    schema: SchemaApplier
    ledger: Ledger
    history: HistoryWriter
    displayName: string
    logger: Logger
    beforeCommit: DestinationOptions['beforeCommit']
  }) {
    this.#driver = parts.driver
    this.#types = parts.types
    this.#bulk = parts.bulk
    this.#schema = parts.schema
    this.#ledger = parts.ledger
    this.#history = parts.history
    this.#displayName = parts.displayName
    this.#logger = parts.logger
    this.#beforeCommit = parts.beforeCommit
  }

  async commit(batch: CommitBatch): Promise<void> {
    const now = new Date()
    const ws = this.#schema.workspace()
    const table = (name: string): LiveTable => requireTable(ws, name, this.#displayName)
    try {
      await this.#driver.transaction(async (tx) => {
        for (const change of batch.schemaChanges) await this.#schema.apply(tx, ws, change, batch.loadId, now)
        for (const write of batch.writes) {
          const target = table(write.rows.table)
          const parents = write.rows.replaceChildrenOf
          if (parents !== undefined && parents.length > 0) await this.#bulk.deleteChildren(tx, target, parents)
          if (write.encoded !== undefined) {
            if (write.mode !== 'copy' || write.fresh !== true || this.#bulk.writeEncoded === undefined) {
              throw new DestinationWriteError(`encoded rows for ${write.rows.table}: only a fresh copy into a destination with a page encoder takes them`)
            }
            if (write.encoded.rows > 0) await this.#bulk.writeEncoded(tx, target, write.rows.columns, write.encoded)
          } else if (write.rows.rows.length > 0) {
            await this.#bulk.writeRows(tx, write.mode, target, write.rows, batch.loadId, {
              fresh: write.mode === 'copy' && write.fresh === true,
              ...(parents !== undefined && parents.length > 0 ? { clearedParents: new Set(parents) } : {}),
            })
          }
        }
        for (const del of batch.deletes) await this.#markDeleted(tx, table(del.table), del.keys, now)
        // One UPDATE per table and scope column (see sweepScopes).
        for (const sweep of sweepScopes(batch.sweeps, (s) => s.table)) await this.#sweep(tx, table(sweep.group), sweep.column, sweep.values, batch.loadId, now)
        await this.#history.sync(tx, ws, batch, now)
        await this.#ledger.writeStates(tx, batch.state, batch.loadId, now)
        if (batch.countLoad !== false) await this.#ledger.addCounts(tx, batch.loadId, batch.counts.rows)
        await this.#beforeCommit?.(batch)
      })
    } catch (err) {
      if (err instanceof OktaEltError) throw err
      const reason = this.#driver.describeError?.(err) ?? driverReason(err)
      throw new DestinationWriteError(`commit of a ${batch.resource} batch to ${this.#displayName} failed: ${reason}`, err)
    }
    this.#schema.adopt(ws)
    for (const change of batch.schemaChanges) {
      this.#logger({ level: 'debug', event: 'schema.change', msg: describeChange(change), change, loadId: batch.loadId })
    }
  }

  /** Rows known gone get `_deleted_at` (kept, not removed: the contract's soft delete). */
  async #markDeleted(tx: Tx, table: LiveTable, keys: readonly (string | number)[][], now: Date): Promise<void> {
    const pk = table.def.primaryKey
    if (pk.length === 0) throw new DestinationSchemaError(`cannot delete from ${table.def.name}: it has no primary key`)
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
      const chunk = keys.slice(i, i + KEYS_PER_STATEMENT)
      const match = sql.join(
        chunk.map((key) => {
          if (key.length !== pk.length) throw new DestinationSchemaError(`delete key for ${table.def.name} has ${key.length} values, primary key has ${pk.length}`)
          return sql`(${sql.join(pk.map((col, j) => sql`${sql.id(col)} = ${key[j]}`), sql` and `)})`
        }),
        sql` or `,
      )
      await tx.exec(
        sql`update ${this.#driver.tableRef(table.def.name)} set ${sql.id(DELETED_AT)} = ${this.#types.tsParam(now)} where ${sql.id(DELETED_AT)} is null and (${match})`.compile(
          this.#driver.kysely,
        ),
      )
    }
  }

  /**
   * Every live row in scope that this load did not write is gone from Okta (per-parent replacement
   * or full reconcile). `values`: the parents whose rows are in scope (`column` in them), or every
   * row when `column` is undefined.
   */
  async #sweep(tx: Tx, table: LiveTable, column: string | undefined, values: readonly string[], loadId: string, now: Date): Promise<void> {
    if (column !== undefined && !table.byName.has(column)) throw new DestinationSchemaError(`sweep of ${table.def.name}: no column ${column}`)
    // Chunked by `statementChunks`: a few IN-list lengths, so a few statement texts (SQLite caches each).
    const chunks = column === undefined ? [[]] : statementChunks(values, KEYS_PER_STATEMENT)
    for (const chunk of chunks) {
      const scope = column === undefined ? sql`` : sql` and ${sql.id(column)} in (${sql.join(chunk)})`
      await tx.exec(
        sql`update ${this.#driver.tableRef(table.def.name)} set ${sql.id(DELETED_AT)} = ${this.#types.tsParam(now)} where ${sql.id(DELETED_AT)} is null and (${sql.id(LOAD_ID)} is null or ${sql.id(LOAD_ID)} <> ${loadId})${scope}`.compile(
          this.#driver.kysely,
        ),
      )
    }
  }
}
