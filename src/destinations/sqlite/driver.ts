import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import type { CompiledQuery, RawBuilder } from 'kysely'
import type { MigrationContext } from '../../../migrations/context.ts'
import type { TableDef } from '../../schema/types.ts'
import type { SqlDriver, Tx } from '../dialect.ts'
import { DestinationMissingError, DestinationNotWritableError, DestinationUnreachableError, driverReason } from '../errors.ts'
import type { MetaDb } from '../meta-db.ts'
import { assertMigrated, migrateToLatest } from '../migrations.ts'
import { FileIdentity } from '../file-identity.ts'
import { writeAccessProblem } from './file-access.ts'
import { registerWidenFunction } from './widening.ts'

const BUSY_TIMEOUT_MS = 10_000
/** Kept statements: at most this many, and this much SQL text in all (their programs' native size follows their text's). */
const STATEMENT_CACHE_LIMIT = 500
const STATEMENT_CACHE_TEXT = 256 * 1024
const SEEN_ONCE_LIMIT = 500

/**
 * A short stand-in for a statement's text in the seen-once set (multi-row texts run to 20 KB): two
 * texts that share it only make a one-off statement kept, never a wrong statement run.
 */
function seenKey(text: string): string {
  return text.length <= 200 ? text : `${text.length}\u0000${text.slice(0, 100)}\u0000${text.slice(-100)}`
}

/** SQLite keeps timestamps as ISO-8601 TEXT and JSON as TEXT. */
const MIGRATION_CONTEXT: MigrationContext = {
  indexScratchTables: true,
  types: { timestamp: 'text', json: 'text', bigint: 'integer' },
  autoId: async (_db, _table, column, builder) => builder.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()),
}

/**
 * SQLite through better-sqlite3: one in-process connection (WAL), shared by the writer and Kysely.
 * better-sqlite3 is synchronous, so a transaction is BEGIN IMMEDIATE … COMMIT around the batch's
 * statements, each prepared once and cached by its text.
 *
 * Identity: the file opened is checked around every commit and after each load's outcome (see
 * file-identity.ts), so rows committed into a deleted or replaced file are never reported loaded.
 */
export class SqliteDriver implements SqlDriver {
  readonly #path: string
  readonly #displayName: string
  readonly #readOnly: boolean
  #db: Database.Database | null = null
  #kysely: Kysely<any> | null = null
  /** Kept statements, least recently used first. */
  readonly #statements = new Map<string, Database.Statement>()
  #keptText = 0
  /** Statements prepared once and not kept (`prepare`), by `seenKey`, oldest first. */
  readonly #seenOnce = new Set<string>()
  readonly #identity: FileIdentity

  constructor(path: string, displayName: string, opts: { readOnly?: boolean } = {}) {
    this.#path = path
    this.#displayName = displayName
    this.#readOnly = opts.readOnly ?? false
    this.#identity = new FileIdentity(path, displayName)
  }

  async open(): Promise<void> {
    if (this.#readOnly) return this.#openReadOnly()
    // Before SQLite tries: its own words ("attempt to write a readonly database", "unable to
    // open database file") name neither the file nor what is missing.
    const problem = writeAccessProblem(this.#path)
    if (problem !== null) throw new DestinationNotWritableError(this.#displayName, problem)
    try {
      this.#db = new Database(this.#path, { timeout: BUSY_TIMEOUT_MS })
      this.#db.pragma('journal_mode = WAL')
      // WAL + NORMAL: durable at every checkpoint, no fsync per commit; a power loss can drop the
      // last commits but never corrupts, and state commits with its rows so nothing is skipped.
      this.#db.pragma('synchronous = NORMAL')
      // One commit per page rewrites the same index pages into the WAL many times; a checkpoint
      // copies each page once. Checkpointing every 64k pages (256 MiB of WAL, the file's size on
      // disk at most mid-load; removed at close) instead of SQLite's 1k cuts those copies and their
      // fsyncs: 16k pages was ~15-40% faster than 1k at 50k users, 64k another 14% on a 983k-row
      // full load (5 alternated pairs); 128k was no better and 256k worse when rewriting the System Log alone.
      this.#db.pragma('wal_autocheckpoint = 65536')
      // better-sqlite3 builds SQLite with a 16 MB page cache, filled in full by any large load: 4 MB
      // (the operating system caches the file as well), for issue 14's 200 MB ceiling.
      this.#db.pragma('cache_size = -4000')
      registerWidenFunction(this.#db)
      // The file exists now (opening created it): this is the inode every commit must still reach.
      this.#identity.record()
    } catch (err) {
      this.#db?.close()
      this.#db = null
      throw new DestinationUnreachableError(this.#displayName, driverReason(err), err)
    }
    this.#kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: this.#db }) })
    await migrateToLatest(this.#kysely, MIGRATION_CONTEXT)
  }

  /** `status`: a read-only handle on a file that must exist; nothing created, nothing migrated. */
  async #openReadOnly(): Promise<void> {
    if (!existsSync(this.#path)) {
      throw new DestinationMissingError(this.#displayName, 'the file does not exist (run `okta-elt run` first, or check the path)')
    }
    try {
      this.#db = new Database(this.#path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS })
    } catch (err) {
      this.#db?.close()
      this.#db = null
      throw new DestinationUnreachableError(this.#displayName, driverReason(err), err)
    }
    this.#kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: this.#db }) })
    await assertMigrated(this.#kysely, MIGRATION_CONTEXT, this.#displayName)
  }

  async close(): Promise<void> {
    this.#statements.clear()
    this.#keptText = 0
    this.#seenOnce.clear()
    // Kysely's SqliteDriver closes the better-sqlite3 handle on destroy.
    if (this.#kysely !== null) await this.#kysely.destroy()
    else this.#db?.close()
    this.#kysely = null
    this.#db = null
    this.#identity.forget()
  }

  /**
   * Ad-hoc queries. Same connection as the writer: SQLite has one writer per file and an in-process
   * second handle would only add lock contention. Do not run these while a commit is in flight.
   */
  get kysely(): Kysely<any> {
    if (this.#kysely === null) throw new Error('sqlite destination is not open')
    return this.#kysely
  }

  get meta(): Kysely<MetaDb> {
    return this.kysely as Kysely<MetaDb>
  }

  /** The open better-sqlite3 handle (the bulk writer runs its cached statements on it). */
  get handle(): Database.Database {
    if (this.#db === null) throw new Error('sqlite destination is not open')
    return this.#db
  }

  /**
   * A prepared statement for `text`, kept from its second use on, least recently used ones let go
   * past STATEMENT_CACHE_LIMIT statements or STATEMENT_CACHE_TEXT of SQL. Each kept statement holds
   * its compiled program in native memory (20–40 KB for a few hundred VALUES rows), and the
   * multi-row statements whose text depends on a batch's row count mostly occur once, or rarely:
   * kept at their first use they piled up by the hundred (6.5 MB at 30,000 users; issue 14), and a
   * long load meets most row counts twice. A statement let go is finalized with its wrapper by the
   * garbage collector.
   */
  prepare(text: string): Database.Statement {
    let stmt = this.#statements.get(text)
    if (stmt !== undefined) {
      this.#statements.delete(text)
      this.#statements.set(text, stmt)
      return stmt
    }
    stmt = this.handle.prepare(text)
    const key = seenKey(text)
    if (this.#seenOnce.delete(key)) {
      this.#statements.set(text, stmt)
      this.#keptText += text.length
      while (this.#statements.size > 1 && (this.#statements.size > STATEMENT_CACHE_LIMIT || this.#keptText > STATEMENT_CACHE_TEXT)) {
        const oldest = this.#statements.keys().next().value!
        this.#statements.delete(oldest)
        this.#keptText -= oldest.length
      }
    } else {
      if (this.#seenOnce.size >= SEEN_ONCE_LIMIT) this.#seenOnce.delete(this.#seenOnce.values().next().value!)
      this.#seenOnce.add(key)
    }
    return stmt
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const db = this.handle
    const tx: Tx = {
      exec: async (q: CompiledQuery) => {
        const stmt = this.prepare(q.sql)
        const params = q.parameters as unknown[]
        if (stmt.reader) return { rows: stmt.all(params) as Record<string, unknown>[], affected: 0 }
        return { rows: [], affected: stmt.run(params).changes }
      },
    }
    // IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so the transaction
    // cannot fail half way because another connection started writing.
    this.checkStillThere()
    db.exec('BEGIN IMMEDIATE')
    try {
      const result = await fn(tx)
      db.exec('COMMIT')
      // After COMMIT too: the file may have gone while the transaction was open.
      this.checkStillThere()
      return result
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK')
      throw err
    }
  }

  async queryArrays(query: CompiledQuery): Promise<unknown[][]> {
    // safeIntegers: every INTEGER as a BigInt, so ids and counts beyond 2^53 survive the copy.
    return this.handle.prepare(query.sql).raw(true).safeIntegers(true).all(query.parameters as unknown[]) as unknown[][]
  }

  async queryEach(query: CompiledQuery, each: (row: unknown[]) => void): Promise<void> {
    // Synchronous from the first row to the last: nothing else uses the connection meanwhile
    // (better-sqlite3 refuses other statements while an iterator is open).
    for (const row of this.handle.prepare(query.sql).raw(true).safeIntegers(true).iterate(query.parameters as unknown[])) each(row as unknown[])
  }

  /**
   * A write that failed because the file, a side file or the directory stopped being writable
   * (made immutable, a read-only remount) reads "disk I/O error" or "attempt to write a readonly
   * database" in SQLite's words: say which path and why.
   */
  describeError(err: unknown): string {
    const reason = driverReason(err)
    const code = (err as { code?: unknown } | null)?.code
    if (typeof code !== 'string' || !/^SQLITE_(IOERR|READONLY|CANTOPEN|PERM)/.test(code)) return reason
    const problem = writeAccessProblem(this.#path)
    return problem === null ? reason : `${reason} (${code}): ${problem}`
  }

  checkStillThere(): void {
    this.#identity.check()
  }

  tableRef(table: string): RawBuilder<unknown> {
    return sql.id(table)
  }

  /**
   * The rowid, by the first of its names no column of the table takes (a column named `rowid`
   * hides that name). Every data table is an ordinary rowid table: by rowid a copy reads the
   * table's own B-tree in order, where key order reads the key's index and looks every row up
   * (2.05M rows of a full load: ~3.5 s against ~8-9 s).
   */
  storedPosition(table: TableDef): string | undefined {
    const taken = new Set(table.columns.map((c) => c.name.toLowerCase()))
    return ROWID_NAMES.find((name) => !taken.has(name))
  }
}

/** SQLite's names for the rowid, each usable unless a column has it. */
const ROWID_NAMES = ['rowid', '_rowid_', 'oid']
