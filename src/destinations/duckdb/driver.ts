import { existsSync } from 'node:fs'
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { Kysely, sql } from 'kysely'
import type { CompiledQuery, RawBuilder } from 'kysely'
import type { RowValue } from '../../schema/types.ts'
import type { MigrationContext } from '../../../migrations/context.ts'
import type { KeysetPage, SqlDriver, Tx } from '../dialect.ts'
import { DestinationLockedError, DestinationMissingError, DestinationUnreachableError, driverReason } from '../errors.ts'
import { FileIdentity } from '../file-identity.ts'
import { qualify, quoteIdent } from '../identifiers.ts'
import type { MetaDb } from '../meta-db.ts'
import { assertMigrated, migrateToLatest } from '../migrations.ts'
import { ContinuedScan, noteWrite } from './continued-scan.ts'
import { acquireInstance, releaseInstance } from './instances.ts'
import { DuckdbKyselyDialect } from './kysely-dialect.ts'
import { registerWideningFunctions } from './widening.ts'
import type { DuckdbTarget } from './url.ts'

const CHANGED_ROWS = 1

/**
 * Who holds the file, when DuckDB refused an open because another process has it (`pid N,
 * PROGRAM`, or `another process` where DuckDB does not say); null for any other failure.
 */
export function lockHolder(reason: string): string | null {
  const held = /Could not set lock on file .*?Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(reason)
  if (held !== null) return `pid ${held[2]}, ${held[1]}`
  return /Could not set lock on file/.test(reason) ? 'another process' : null
}

/** The commit transaction's statements run on the writer connection (the appender needs it). */
export interface DuckdbTx extends Tx {
  readonly connection: DuckDBConnection
}

/**
 * DuckDB through `@duckdb/node-api` (prebuilt binaries). One instance per file per process
 * (instances.ts), two connections on it: the writer, which owns the commit transactions, and one
 * for Kysely (migrations, metadata, ad-hoc queries). Both have the configured schema as their
 * default schema and UTC as their time zone, so unqualified SQL works as on Postgres.
 *
 * DuckDB lets one process open a database file for writing at a time and enforces it with an OS
 * file lock held while the instance is open: a second process fails at `open()` (here turned into
 * `ERR_DESTINATION_LOCKED` naming the holder's pid), and the OS releases the lock when the holder
 * dies, however it dies.
 */
export class DuckdbDriver implements SqlDriver {
  readonly #path: string
  readonly #schema: string
  readonly #displayName: string
  readonly #readOnly: boolean
  /** The file opened, checked around every commit (see file-identity.ts). */
  readonly #identity: FileIdentity
  #instance: DuckDBInstance | null = null
  #writer: DuckDBConnection | null = null
  #adhoc: DuckDBConnection | null = null
  #kysely: Kysely<any> | null = null
  /** `readKeysetPage`'s stream, on a connection of its own (opened at the first page). */
  #scan: ContinuedScan | null = null

  constructor(target: DuckdbTarget, opts: { readOnly?: boolean } = {}) {
    this.#path = target.path
    this.#schema = target.schema
    this.#displayName = target.displayName
    this.#readOnly = opts.readOnly ?? false
    this.#identity = new FileIdentity(target.path, target.displayName)
  }

  get schema(): string {
    return this.#schema
  }

  async open(): Promise<void> {
    if (this.#readOnly && !existsSync(this.#path)) {
      throw new DestinationMissingError(this.#displayName, 'the file does not exist (run `okta-elt run` first, or check the path)')
    }
    try {
      this.#instance = await acquireInstance(this.#path, this.#readOnly)
    } catch (err) {
      throw this.#openError(err)
    }
    if (!this.#readOnly) this.#identity.record()
    this.#writer = await this.#connect(!this.#readOnly)
    await registerWideningFunctions(this.#writer)
    this.#adhoc = await this.#connect(false)
    const instance = this.#instance
    this.#kysely = new Kysely<any>({ dialect: new DuckdbKyselyDialect(() => this.adhoc, () => noteWrite(instance)) })
    this.#scan = new ContinuedScan(instance)
    const meta = this.#kysely.withSchema(this.#schema)
    if (this.#readOnly) await assertMigrated(meta, this.#migrationContext(), this.#displayName)
    else await migrateToLatest(meta, this.#migrationContext(), this.#schema)
  }

  #openError(err: unknown): Error {
    const reason = driverReason(err)
    const holder = lockHolder(reason)
    if (holder !== null) {
      return new DestinationLockedError(
        this.#displayName,
        holder,
        `${this.#displayName} is open in another process (${holder}); DuckDB lets one process open a database file at a time: try again when it finishes`,
      )
    }
    return new DestinationUnreachableError(this.#displayName, reason.replace(/^IO Error: /, ''), err)
  }

  async #connect(createSchema: boolean): Promise<DuckDBConnection> {
    const conn = await this.#instance!.connect()
    await conn.run(`set TimeZone = 'UTC'`)
    if (createSchema) await conn.run(`create schema if not exists ${quoteIdent(this.#schema)}`)
    try {
      await conn.run(`set schema = '${this.#schema.replaceAll("'", "''")}'`)
    } catch (err) {
      conn.closeSync()
      // Only a read-only open gets here without having created it.
      throw new DestinationMissingError(this.#displayName, `schema ${this.#schema} does not exist (${driverReason(err)})`)
    }
    return conn
  }

  /** DuckDB has no serial type: an auto-numbered key is a BIGINT defaulting to a sequence. */
  #migrationContext(): MigrationContext {
    const schema = this.#schema
    return {
      types: { timestamp: 'timestamptz', json: 'json', bigint: 'bigint' },
      indexScratchTables: false,
      autoId: async (db, table, column, builder) => {
        const seq = qualify(schema, `${table}_${column}_seq`)
        await sql`create sequence if not exists ${sql.raw(seq)}`.execute(db)
        return builder.addColumn(column, 'bigint', (c) => c.primaryKey().defaultTo(sql`nextval(${sql.lit(seq)})`))
      },
    }
  }

  checkStillThere(): void {
    this.#identity.check()
  }

  async close(): Promise<void> {
    this.#identity.forget()
    await this.#kysely?.destroy()
    this.#kysely = null
    this.#scan?.close()
    this.#scan = null
    for (const conn of [this.#writer, this.#adhoc]) conn?.closeSync()
    this.#writer = null
    this.#adhoc = null
    if (this.#instance !== null) {
      this.#instance = null
      await releaseInstance(this.#path, this.#readOnly)
    }
  }

  get kysely(): Kysely<any> {
    if (this.#kysely === null) throw new Error('duckdb destination is not open')
    return this.#kysely
  }

  get meta(): Kysely<MetaDb> {
    return this.kysely.withSchema(this.#schema) as Kysely<MetaDb>
  }

  get adhoc(): DuckDBConnection {
    if (this.#adhoc === null) throw new Error('duckdb destination is not open')
    return this.#adhoc
  }

  get #connection(): DuckDBConnection {
    if (this.#writer === null) throw new Error('duckdb destination is not open')
    return this.#writer
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const connection = this.#connection
    const tx: DuckdbTx = {
      connection,
      exec: async (q: CompiledQuery) => {
        const reader = await connection.runAndReadAll(q.sql, q.parameters as never)
        if (reader.returnType === CHANGED_ROWS) return { rows: [], affected: reader.rowsChanged }
        return { rows: reader.getRowObjectsJS() as Record<string, unknown>[], affected: 0 }
      },
    }
    this.#identity.check()
    this.#scan?.release()
    await connection.run('begin transaction')
    try {
      const result = await fn(tx)
      await connection.run('commit')
      // After COMMIT too: the file may have gone while the transaction was open.
      this.#identity.check()
      return result
    } catch (err) {
      // A failed COMMIT has already ended the transaction; ROLLBACK then only says so.
      await connection.run('rollback').catch(() => {})
      throw err
    } finally {
      // Counted once it has ended: a scan begun while it was open saw the rows before it.
      noteWrite(this.#instance)
    }
  }

  async queryArrays(query: CompiledQuery): Promise<unknown[][]> {
    // Under the destination's mutex, so never inside a commit: the writer connection is free.
    const reader = await this.#connection.runAndReadAll(query.sql, query.parameters as never)
    return reader.getRowsJS() as unknown[][]
  }

  readKeysetPage(page: KeysetPage, each: (row: RowValue[]) => void): Promise<void> {
    if (this.#scan === null) throw new Error('duckdb destination is not open')
    return this.#scan.read(page, each)
  }

  tableRef(table: string): RawBuilder<unknown> {
    return sql.id(this.#schema, table)
  }
}
