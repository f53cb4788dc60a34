import type { DuckDBConnection } from '@duckdb/node-api'
import { DialectAdapterBase, PostgresQueryCompiler } from 'kysely'
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  SchemaMetadata,
  TableMetadata,
} from 'kysely'
import { sql } from 'kysely'

/** DuckDB's `StatementType.SELECT` (a runtime enum; this file imports the node-api's types only). */
const SELECT_STATEMENT = 1
const CHANGED_ROWS = 1

/**
 * The few lines Kysely needs to talk to DuckDB through `@duckdb/node-api` (instead of the community
 * `kysely-duckdb` package, whose 0.x driver reads a single column named `count` as an affected-row
 * count, so `select count(*) as count` returns no rows, converts plain TIMESTAMPs through local
 * time, and whose introspector reads lower-case keys from upper-case columns, which breaks
 * Kysely's Migrator). DuckDB speaks Postgres' SQL closely enough that Kysely's Postgres compiler
 * serves (`$1` parameters, double-quoted identifiers, `on conflict`).
 *
 * One connection, used by one query or transaction at a time (the driver's mutex), owned by the
 * destination's driver: Kysely never opens or closes it.
 */
export class DuckdbKyselyDialect implements Dialect {
  readonly #connection: () => DuckDBConnection
  readonly #wrote: () => void

  /** `wrote`: called after every statement but a SELECT (it may have changed rows; see continued-scan.ts). */
  constructor(connection: () => DuckDBConnection, wrote: () => void = () => {}) {
    this.#connection = connection
    this.#wrote = wrote
  }

  createAdapter(): DuckdbAdapter {
    return new DuckdbAdapter()
  }

  createDriver(): Driver {
    return new DuckdbKyselyDriver(this.#connection, this.#wrote)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new DuckdbIntrospector(db)
  }
}

class DuckdbAdapter extends DialectAdapterBase {
  override get supportsTransactionalDdl(): boolean {
    return true
  }

  override get supportsReturning(): boolean {
    return true
  }

  /** No lock needed: DuckDB lets one process open the file, and the destination serializes its own work. */
  async acquireMigrationLock(): Promise<void> {}

  async releaseMigrationLock(): Promise<void> {}
}

class DuckdbKyselyDriver implements Driver {
  readonly #connection: () => DuckDBConnection
  /** Settles when the current holder releases the connection; the next acquirer waits on it. */
  #idle: Promise<void> = Promise.resolve()
  #release: (() => void) | null = null
  readonly #wrote: () => void

  constructor(connection: () => DuckDBConnection, wrote: () => void) {
    this.#connection = connection
    this.#wrote = wrote
  }

  async init(): Promise<void> {}

  /** One holder at a time, FIFO: a Kysely transaction keeps the connection to itself until released. */
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#idle
    let release!: () => void
    this.#idle = new Promise<void>((resolve) => (release = resolve))
    await previous
    this.#release = release
    try {
      return new DuckdbKyselyConnection(this.#connection(), this.#wrote)
    } catch (err) {
      this.#release = null
      release()
      throw err
    }
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as DuckdbKyselyConnection).run('begin transaction')
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as DuckdbKyselyConnection).run('commit')
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as DuckdbKyselyConnection).run('rollback')
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release
    this.#release = null
    release?.()
  }

  async destroy(): Promise<void> {}
}

class DuckdbKyselyConnection implements DatabaseConnection {
  readonly #conn: DuckDBConnection
  readonly #wrote: () => void

  constructor(conn: DuckDBConnection, wrote: () => void) {
    this.#conn = conn
    this.#wrote = wrote
  }

  /** Transaction control (`begin`, `commit`, `rollback`): a commit makes its statements' writes visible. */
  async run(text: string): Promise<void> {
    try {
      await this.#conn.run(text)
    } finally {
      this.#wrote()
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    let select = false
    try {
      const reader = await this.#conn.runAndReadAll(query.sql, query.parameters as never)
      select = reader.statementType === SELECT_STATEMENT
      if (reader.returnType === CHANGED_ROWS) return { rows: [], numAffectedRows: BigInt(reader.rowsChanged) }
      return { rows: reader.getRowObjectsJS().map(narrowIntegers) as R[] }
    } finally {
      if (!select) this.#wrote()
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on the duckdb destination')
  }
}

/** BIGINT as a number when exact, a BigInt beyond 2^53: what the Postgres destination returns for int8. */
function narrowIntegers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(row)) {
    const v = row[key]
    if (typeof v === 'bigint' && v >= MIN_SAFE && v <= MAX_SAFE) row[key] = Number(v)
  }
  return row
}
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** What Kysely's Migrator asks: which schemas and tables exist (in this database file, not `temp`). */
class DuckdbIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>

  constructor(db: Kysely<any>) {
    this.#db = db
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select schema_name as name from information_schema.schemata where catalog_name = current_database()`.execute(this.#db)
    return rows.map((r) => ({ name: r.name }))
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type
      from information_schema.tables where table_catalog = current_database()`.execute(this.#db)
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.type === 'VIEW', isForeign: false, columns: [] }))
  }

  async getMetadata(): Promise<{ tables: TableMetadata[] }> {
    return { tables: await this.getTables() }
  }
}
