import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import pg from 'pg'

/** The Postgres URL for this run, or null when explicitly skipped with OKTA_ELT_SKIP_PG=1. */
export function postgresUrl(): string | null {
  return inject('pgUrl')
}

/**
 * A fresh schema name, so test files running in parallel never see each other's tables.
 * Dropped by `dropSchema` in afterAll.
 */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** `postgres://…?schema=NAME` for a destination URL in its own schema. */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('schema', schema)
  return u.toString()
}
