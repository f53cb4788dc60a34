import type { Migration } from 'kysely/migration'

/**
 * What a migration needs to know about its database. Migrations are factories taking this context
 * (rather than sniffing the Kysely adapter) so the same file declares both dialects' column types.
 */
export interface MigrationContext {
  dialect: 'sqlite' | 'postgres'
}

export type MigrationFactory = (ctx: MigrationContext) => Migration

/** Column type names per dialect: SQLite keeps timestamps as ISO-8601 TEXT and JSON as TEXT. */
export function types(ctx: MigrationContext) {
  const pg = ctx.dialect === 'postgres'
  return {
    timestamp: pg ? 'timestamptz' : 'text',
    json: pg ? 'jsonb' : 'text',
    bigint: pg ? 'bigint' : 'integer',
  } as const
}
