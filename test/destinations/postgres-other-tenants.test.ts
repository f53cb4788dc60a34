/**
 * A Postgres destination shares its database with other tenants (other schemas: other orgs, other
 * tools, the suite's other test files). Their DDL must never fail our open: kysely's own
 * introspection, which the migrations ask on every open, scanned every schema and failed with
 * 42P01 when a view of another schema was dropped meanwhile (about half the opens, here).
 */
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openDestination } from '../../src/destinations/index.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'

const url = postgresUrl()

describe.runIf(url !== null)('Postgres: other schemas of the database', () => {
  const other = uniqueSchema('tenant')
  const mine = uniqueSchema('dest')
  afterAll(async () => {
    await dropSchema(url!, other)
    await dropSchema(url!, mine)
  })

  it('a destination opens while another schema creates and drops views all the time', async () => {
    const admin = new pg.Client({ connectionString: url! })
    await admin.connect()
    await admin.query(`create schema "${other}"; create table "${other}".t (id int)`)
    let churning = true
    const churn = (async () => {
      for (let i = 0; churning; i++) {
        await admin.query(`create view "${other}".v${i % 8} as select id from "${other}".t`)
        await admin.query(`drop view if exists "${other}".v${(i + 4) % 8}`)
      }
    })()
    try {
      for (let n = 0; n < 8; n++) {
        const d = openDestination(withSchema(url!, mine))
        try {
          await d.prepare()
        } finally {
          await d.close()
        }
      }
      // The opens really went through the migrations: their tables are there.
      const { rows } = await admin.query<{ n: number }>(`select count(*)::int as n from pg_tables where schemaname = $1`, [mine])
      expect(rows[0]!.n).toBeGreaterThan(0)
    } finally {
      churning = false
      await churn
      await admin.end()
    }
  })
})
