import { PostgresDialect, PostgresIntrospector } from 'kysely'
import type { DatabaseIntrospector, Kysely, PostgresDialectConfig, SchemaMetadata, TableMetadata } from 'kysely'

/**
 * Kysely's Postgres dialect with its introspection narrowed to the destination's schema. Its one
 * reader is kysely's Migrator, which asks on every open whether its two tables exist. Kysely's own
 * introspector answers by scanning every schema of the database and calling
 * has_schema_privilege() and pg_get_serial_sequence() on each row it found: a table, view or
 * schema of another tenant of the database dropped meanwhile fails the scan (42P01, 3F000), so a
 * run failed to open because of someone else's DDL (the test suite's files, two at once, drop and
 * widen their own schemas all the time).
 */
export class SchemaPostgresDialect extends PostgresDialect {
  readonly #schema: string

  constructor(config: PostgresDialectConfig, schema: string) {
    super(config)
    this.#schema = schema
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaIntrospector(db, this.#schema)
  }
}

class SchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>
  readonly #schema: string

  constructor(db: Kysely<any>, schema: string) {
    this.#db = db
    this.#schema = schema
  }

  /** The schema list itself is a plain read of pg_namespace: nothing dropped meanwhile can fail it. */
  getSchemas(): Promise<SchemaMetadata[]> {
    return new PostgresIntrospector(this.#db).getSchemas()
  }

  /**
   * The schema's tables and views, without their columns: the Migrator only looks for its
   * tables by name, and nothing else of okta-elt introspects (the live schema is its own).
   */
  async getTables(): Promise<TableMetadata[]> {
    const rows = await this.#db
      .selectFrom('pg_catalog.pg_class as c')
      .innerJoin('pg_catalog.pg_namespace as ns', 'ns.oid', 'c.relnamespace')
      .select(['c.relname as name', 'c.relkind as kind'])
      .where('ns.nspname', '=', this.#schema)
      .where('c.relkind', 'in', ['r', 'v', 'p', 'f'])
      .orderBy('c.relname')
      .execute()
    return rows.map((r) => ({ name: String(r.name), schema: this.#schema, isView: r.kind === 'v', isForeign: r.kind === 'f', columns: [] }))
  }
}
