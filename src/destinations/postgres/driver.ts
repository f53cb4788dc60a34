import { CompiledQuery, Kysely, sql } from 'kysely'
import type { RawBuilder } from 'kysely'
import pg from 'pg'
import type { MigrationContext } from '../../../migrations/context.ts'
import type { Logger } from '../../util/log.ts'
import type { SqlDriver, Tx } from '../dialect.ts'
import { DestinationMissingError, DestinationNotWritableError, DestinationUnreachableError, driverReason } from '../errors.ts'
import { quoteIdent } from '../identifiers.ts'
import type { MetaDb } from '../meta-db.ts'
import { assertMigrated, migrateToLatest } from '../migrations.ts'
import { SchemaPostgresDialect } from './schema-introspector.ts'

const CONNECT_TIMEOUT_MS = 10_000

/** int8 → number when exact, BigInt beyond 2^53 (pg's default is a string). */
const INT8_OID = 20
const INT8_ARRAY_OID = 1016
function parseInt8(text: string): number | bigint {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : BigInt(text)
}
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') return parseInt8
    if (oid === INT8_ARRAY_OID && format !== 'binary') {
      const parseArray = pg.types.getTypeParser(oid as never, 'text') as (t: string) => (string | null)[]
      return (t: string) => parseArray(t).map((v) => (v === null ? null : parseInt8(v)))
    }
    return pg.types.getTypeParser(oid as never, format ?? 'text')
  }) as pg.CustomTypesConfig['getTypeParser'],
}

const MIGRATION_CONTEXT: MigrationContext = {
  indexScratchTables: true,
  types: { timestamp: 'timestamptz', json: 'jsonb', bigint: 'bigint' },
  autoId: async (_db, _table, column, builder) => builder.addColumn(column, 'bigserial', (c) => c.primaryKey()),
}

/** The commit transaction's statements run on the dedicated writer client. */
export interface PgTx extends Tx {
  readonly client: pg.Client
  /** Runs `fn` once the transaction committed (never after a rollback). */
  afterCommit(fn: () => void): void
}

/**
 * Postgres through pg. Connections: a small pool (Kysely: migrations, metadata reads, ad-hoc
 * queries; search_path set to the configured schema, TimeZone UTC), one dedicated writer client
 * that owns the commit transactions (and its temp tables), and any client the lock asks for.
 */
export class PostgresDriver implements SqlDriver {
  readonly #connectionString: string
  readonly #schema: string
  readonly #displayName: string
  readonly #logger: Logger
  readonly #readOnly: boolean
  #pool: pg.Pool | null = null
  #kysely: Kysely<any> | null = null
  #writer: pg.Client | null = null

  constructor(target: { connectionString: string; schema: string; displayName: string }, opts: { logger: Logger; readOnly?: boolean }) {
    this.#connectionString = target.connectionString
    this.#schema = target.schema
    this.#displayName = target.displayName
    this.#logger = opts.logger
    this.#readOnly = opts.readOnly ?? false
  }

  get schema(): string {
    return this.#schema
  }

  #clientConfig(applicationName: string): pg.ClientConfig {
    return {
      connectionString: this.#connectionString,
      types: pgTypes,
      application_name: truncateBytes(applicationName, 63),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    }
  }

  /** A new session with search_path and time zone set (throws `DestinationUnreachableError`). */
  async connect(applicationName: string): Promise<pg.Client> {
    const client = new pg.Client(this.#clientConfig(applicationName))
    client.on('error', (err) => {
      this.#logger({ level: 'warn', event: 'destination.connection_error', msg: `postgres connection error: ${driverReason(err)}` })
    })
    try {
      await client.connect()
    } catch (err) {
      await client.end().catch(() => {})
      throw new DestinationUnreachableError(this.#displayName, driverReason(err), err)
    }
    await client.query(`set search_path to ${quoteIdent(this.#schema)}, public`)
    await client.query(`set time zone 'UTC'`)
    // The commit's statements touch few rows each but can look costly to the planner (the history
    // statements' correlated lookups): JIT-compiling them took ~150 ms for a 2 ms statement.
    await client.query('set jit = off')
    return client
  }

  async open(): Promise<void> {
    this.#writer = await this.connect(this.#readOnly ? 'okta-elt reader' : 'okta-elt writer')
    if (this.#readOnly) await this.#assertSchemaExists(this.#writer)
    else await this.#ensureSchema(this.#writer)
    this.#pool = new pg.Pool({ ...this.#clientConfig('okta-elt'), max: 3 })
    this.#pool.on('error', (err) => {
      this.#logger({ level: 'warn', event: 'destination.connection_error', msg: `postgres pool error: ${driverReason(err)}` })
    })
    this.#kysely = new Kysely<any>({
      dialect: new SchemaPostgresDialect(
        {
          pool: this.#pool,
          onCreateConnection: async (conn) => {
            await conn.executeQuery(CompiledQuery.raw(`set search_path to ${quoteIdent(this.#schema)}, public`))
            await conn.executeQuery(CompiledQuery.raw(`set time zone 'UTC'`))
            if (this.#readOnly) await conn.executeQuery(CompiledQuery.raw('set default_transaction_read_only = on'))
          },
        },
        this.#schema,
      ),
    })
    if (this.#readOnly) await assertMigrated(this.#kysely.withSchema(this.#schema), MIGRATION_CONTEXT, this.#displayName)
    else await migrateToLatest(this.#kysely.withSchema(this.#schema), MIGRATION_CONTEXT, this.#schema)
  }

  /** Read-only open: the session refuses writes, and a missing schema is reported, never created. */
  async #assertSchemaExists(client: pg.Client): Promise<void> {
    await client.query('set default_transaction_read_only = on')
    const found = await client.query('select 1 from pg_catalog.pg_namespace where nspname = $1', [this.#schema])
    if ((found.rowCount ?? 0) === 0) {
      throw new DestinationMissingError(this.#displayName, `schema ${this.#schema} does not exist (run \`okta-elt run\` first, or check ?schema=)`)
    }
  }

  /**
   * Creates the schema only when it is missing: `CREATE SCHEMA IF NOT EXISTS` checks privileges
   * before existence, so it needs `CREATE` on the database even for a schema a DBA pre-created
   * and granted (`USAGE, CREATE`) to a least-privilege role.
   */
  async #ensureSchema(client: pg.Client): Promise<void> {
    const found = await client.query('select 1 from pg_catalog.pg_namespace where nspname = $1', [this.#schema])
    if ((found.rowCount ?? 0) > 0) return
    try {
      await client.query(`create schema if not exists ${quoteIdent(this.#schema)}`)
    } catch (err) {
      // Two processes creating the schema at once: the loser sees a unique violation; fine.
      const code = (err as { code?: string }).code
      if (code === '23505' || code === '42P06') return
      if (code === '42501') {
        throw new DestinationNotWritableError(
          this.#displayName,
          `${driverReason(err)}: schema ${this.#schema} does not exist and this role may not create it; create it and GRANT USAGE, CREATE ON SCHEMA ${quoteIdent(this.#schema)} to the role`,
          err,
        )
      }
      throw err
    }
  }

  async close(): Promise<void> {
    const writer = this.#writer
    this.#writer = null
    await writer?.end().catch(() => {})
    // Kysely's PostgresDriver ends the pool on destroy.
    if (this.#kysely !== null) await this.#kysely.destroy()
    else await this.#pool?.end().catch(() => {})
    this.#kysely = null
    this.#pool = null
  }

  /** Ad-hoc queries on the pool; `search_path` is the configured schema, so `select … from users` works. */
  get kysely(): Kysely<any> {
    if (this.#kysely === null) throw new Error('postgres destination is not open')
    return this.#kysely
  }

  get meta(): Kysely<MetaDb> {
    return this.kysely.withSchema(this.#schema) as Kysely<MetaDb>
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#writer === null) this.#writer = await this.connect('okta-elt writer')
    const client = this.#writer
    const committed: (() => void)[] = []
    const tx: PgTx = {
      client,
      afterCommit: (f) => committed.push(f),
      exec: async (q) => {
        const r = await client.query(q.sql, q.parameters as unknown[])
        return { rows: r.rows as Record<string, unknown>[], affected: r.rowCount ?? 0 }
      },
    }
    await client.query('begin')
    try {
      const result = await fn(tx)
      await client.query('commit')
      for (const f of committed) f()
      return result
    } catch (err) {
      try {
        await client.query('rollback')
      } catch {
        // The connection is gone (or unusable): start the next transaction on a fresh one (its
        // temp tables are gone with it; the bulk writer keys what it created by client).
        this.#writer = null
        await client.end().catch(() => {})
      }
      throw err
    }
  }

  async queryArrays(query: CompiledQuery): Promise<unknown[][]> {
    if (this.#pool === null) throw new Error('postgres destination is not open')
    const r = await this.#pool.query({ text: query.sql, values: query.parameters as unknown[], rowMode: 'array' })
    return r.rows as unknown[][]
  }

  tableRef(table: string): RawBuilder<unknown> {
    return sql.id(this.#schema, table)
  }
}

function truncateBytes(s: string, max: number): string {
  let out = s
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1)
  return out
}
