import { DuckDBInstance } from '@duckdb/node-api'
import Database from 'better-sqlite3'
import pg from 'pg'
import { expect } from 'vitest'

/**
 * Runs read-only SQL against a destination URL as a user would (sqlite3 / psql), independent of
 * the code under test. Postgres: the URL's `?schema=` (default `okta`) becomes the search_path;
 * int8 comes back as a JS number, timestamptz as an ISO string, so the databases compare alike
 * (DuckDB likewise: BIGINT as a number, TIMESTAMPTZ as an ISO string, `?schema=` as the schema).
 */
export async function query<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }
  if (url.startsWith('duckdb:')) return queryDuckdb<T>(url, sql, params)
  const u = new URL(url)
  const schema = u.searchParams.get('schema') ?? 'okta'
  u.search = ''
  const client = new pg.Client({
    connectionString: u.toString(),
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => {
        if (oid === 20 || oid === 1700) return (v: string) => Number(v) // int8, numeric
        if (oid === 1184) return (v: string) => new Date(v).toISOString() // timestamptz
        return pg.types.getTypeParser(oid, format)
      },
    } as pg.CustomTypesConfig,
  })
  await client.connect()
  try {
    await client.query(`SET search_path TO "${schema.replaceAll('"', '""')}"`)
    return (await client.query(sql, params)).rows as T[]
  } finally {
    await client.end()
  }
}

async function queryDuckdb<T>(url: string, sql: string, params: unknown[]): Promise<T[]> {
  const rest = url.slice('duckdb:'.length)
  const [path, search = ''] = rest.split('?')
  const schema = new URLSearchParams(search).get('schema') ?? 'main'
  const instance = await DuckDBInstance.create(path!, { access_mode: 'READ_ONLY' })
  const conn = await instance.connect()
  try {
    await conn.run(`SET schema = '${schema.replaceAll("'", "''")}'`)
    const rows = (await conn.runAndReadAll(sql, params as never)).getRowObjectsJS()
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v]))) as T[]
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}

/** `count(*)` of a query's rows as a number on both databases. */
export async function count(url: string, from: string, params: unknown[] = []): Promise<number> {
  const rows = await query<{ n: number | string }>(url, `SELECT count(*) AS n FROM ${from}`, params)
  return Number(rows[0]?.n ?? 0)
}

/**
 * After a first load, the destination holds the whole simulated org: every user (DEPROVISIONED
 * included: Okta's default listing hides them), group, membership, app, assignment and event.
 */
export async function expectFirstLoadComplete(
  url: string,
  counts: { users: number; groups: number; memberships: number; apps: number; assignments: number; logEvents: number },
): Promise<void> {
  expect(await count(url, 'users')).toBe(counts.users)
  expect(await count(url, "users WHERE status = 'DEPROVISIONED'")).toBeGreaterThan(0)
  expect(await count(url, 'groups')).toBe(counts.groups)
  expect(await count(url, 'group_users')).toBe(counts.memberships)
  expect(await count(url, 'apps')).toBe(counts.apps)
  expect(await count(url, 'apps_assigned')).toBe(counts.assignments)
  expect(await count(url, 'system_log')).toBe(counts.logEvents)
}
