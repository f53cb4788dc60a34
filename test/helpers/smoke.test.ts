import { describe, expect, it } from 'vitest'
import pg from 'pg'
import { postgresUrl } from './postgres.ts'

describe('test environment', () => {
  it('reaches the Postgres the suite was given', async (ctx) => {
    const url = postgresUrl()
    if (url === null) return ctx.skip()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const { rows } = await client.query<{ one: number }>('select 1 as one')
    await client.end()
    expect(rows[0]?.one).toBe(1)
  })
})
