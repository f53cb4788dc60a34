import type { MigrationFactory } from './context.ts'

/**
 * `_okta_elt_state`: cursor per resource (`parent_id` = '') and per parent where a resource pages
 * per parent (e.g. group_users per group). Written in the same transaction as the rows it covers.
 */
export const migration: MigrationFactory = (ctx) => ({
  async up(db) {
    const t = ctx.types
    await db.schema
      .createTable('_okta_elt_state')
      .ifNotExists()
      .addColumn('resource', 'text', (c) => c.notNull())
      .addColumn('parent_id', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('cursor', t.json, (c) => c.notNull())
      .addColumn('load_id', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('_okta_elt_state_pk', ['resource', 'parent_id'])
      .execute()
  },
})
