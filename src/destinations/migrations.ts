import type { Kysely } from 'kysely'
import { Migrator } from 'kysely/migration'
import type { Migration, MigrationProvider } from 'kysely/migration'
import type { MigrationContext } from '../../migrations/context.ts'
import { OktaEltError } from '../util/errors.ts'
import { DestinationMissingError } from './errors.ts'
import { migration as loads } from '../../migrations/0001-loads.ts'
import { migration as state } from '../../migrations/0002-state.ts'
import { migration as columns } from '../../migrations/0003-columns.ts'
import { migration as lock } from '../../migrations/0004-lock.ts'
import { migration as historyStage } from '../../migrations/0005-history-stage.ts'

/**
 * Never rename these: the Migrator finds what already ran through them (kysely's own warning).
 */
export const MIGRATION_TABLE = '_okta_elt_migrations'
export const MIGRATION_LOCK_TABLE = '_okta_elt_migration_lock'

/**
 * Imports the migration files statically (no directory scan: sources run under type stripping
 * and may be bundled, so a static list is the one that always finds them).
 */
export class StaticMigrationProvider implements MigrationProvider {
  readonly #ctx: MigrationContext

  constructor(ctx: MigrationContext) {
    this.#ctx = Object.freeze({ ...ctx })
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      '0001-loads': loads(this.#ctx),
      '0002-state': state(this.#ctx),
      '0003-columns': columns(this.#ctx),
      '0004-lock': lock(this.#ctx),
      '0005-history-stage': historyStage(this.#ctx),
    }
  }
}

/**
 * Runs every pending migration. `db` must already target the right schema on Postgres
 * (`kysely.withSchema(schema)`), and `schema` puts the migration tables there too.
 * Throws the first migration error (kysely's Migrator returns it instead of throwing).
 */
export async function migrateToLatest(db: Kysely<any>, ctx: MigrationContext, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(ctx),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/**
 * For a read-only open: checks, without running or creating anything, that `db` holds okta-elt's
 * metadata at the version this build reads. No migration table: `DestinationMissingError` (an
 * empty file or schema, or someone else's database). Migrations pending: exit 2 too, since only
 * a run may upgrade it.
 */
export async function assertMigrated(db: Kysely<any>, ctx: MigrationContext, destination: string): Promise<void> {
  let done: Set<string>
  try {
    const rows = await db.selectFrom(MIGRATION_TABLE).select('name').execute()
    done = new Set(rows.map((r) => String(r.name)))
  } catch (err) {
    if (!isMissingTable(err)) throw err
    throw new DestinationMissingError(destination, 'it holds no okta-elt tables (run `okta-elt run` first, or check the destination)')
  }
  const pending = Object.keys(await new StaticMigrationProvider(ctx).getMigrations()).filter((name) => !done.has(name))
  if (pending.length > 0) {
    throw new OktaEltError(
      'ERR_DESTINATION_OUTDATED',
      `${destination} was written by an older okta-elt (metadata migrations ${pending.join(', ')} not applied): run \`okta-elt run\` once to upgrade it; read-only commands never do`,
      { exitCode: 2 },
    )
  }
}

function isMissingTable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  // Postgres 42P01, SQLite "no such table", DuckDB "Table with name … does not exist".
  return e?.code === '42P01' || (typeof e?.message === 'string' && (e.message.includes('no such table') || /Table with name .* does not exist/.test(e.message)))
}
