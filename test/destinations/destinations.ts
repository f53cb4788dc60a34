/**
 * The destinations every suite in this folder runs against: a SQLite file and a DuckDB file in a
 * temp dir and a real Postgres in a unique schema. `OKTA_ELT_TEST_DESTINATIONS=sqlite` (or
 * `postgres`, `duckdb`, comma-separated) narrows the list. Postgres is skipped only when the run explicitly opted out
 * (OKTA_ELT_SKIP_PG=1); otherwise the global setup already failed loudly if no database exists.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Destination } from '../../src/destinations/destination.ts'
import type { CommitBatch } from '../../src/destinations/destination.ts'
import { openDestination } from '../../src/destinations/index.ts'
import type { DestinationOptions } from '../../src/destinations/index.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'

export type DestinationKind = 'sqlite' | 'postgres' | 'duckdb'

export interface DestinationCase {
  kind: DestinationKind
  /** A URL for a fresh, empty destination (new file / new schema each call). */
  freshUrl(): string
  /** Removes everything `freshUrl` created. */
  cleanup(): Promise<void>
}

/** Every destination the suites know how to give a fresh URL for (registry.test.ts: = the registry). */
export const DESTINATION_KINDS: readonly DestinationKind[] = ['sqlite', 'postgres', 'duckdb']

function selected(): DestinationKind[] {
  const raw = process.env.OKTA_ELT_TEST_DESTINATIONS
  const all = [...DESTINATION_KINDS]
  if (raw === undefined || raw.trim() === '') return all
  const wanted = raw.split(/[,|\s]+/).filter(Boolean)
  for (const w of wanted) if (!all.includes(w as DestinationKind)) throw new Error(`OKTA_ELT_TEST_DESTINATIONS: unknown destination ${w}`)
  return all.filter((k) => wanted.includes(k))
}

function fileCase(kind: 'sqlite' | 'duckdb'): DestinationCase {
  let dir: string | null = null
  return {
    kind,
    freshUrl() {
      dir ??= mkdtempSync(join(tmpdir(), 'okta-elt-dest-'))
      return `${kind}:${join(dir, `${randomBytes(4).toString('hex')}.${kind === 'sqlite' ? 'db' : 'duckdb'}`)}`
    },
    async cleanup() {
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
      dir = null
    },
  }
}

function postgresCase(): DestinationCase {
  const schemas: string[] = []
  return {
    kind: 'postgres',
    freshUrl() {
      const url = postgresUrl()
      if (url === null) throw new Error('no Postgres for this run')
      const schema = uniqueSchema('dest')
      schemas.push(schema)
      return withSchema(url, schema)
    },
    async cleanup() {
      const url = postgresUrl()
      if (url === null) return
      for (const s of schemas.splice(0)) await dropSchema(url, s)
    },
  }
}

/** Call inside a test file (vitest's inject() is only available there). */
export function destinationCases(): DestinationCase[] {
  const kinds = selected().filter((k) => k !== 'postgres' || postgresUrl() !== null)
  return kinds.map((k) => (k === 'postgres' ? postgresCase() : fileCase(k)))
}

export async function openPrepared(url: string, opts: DestinationOptions = {}): Promise<Destination> {
  const dest = openDestination(url, opts)
  await dest.prepare()
  return dest
}

export function commit(partial: Partial<CommitBatch> & { loadId?: string }): CommitBatch {
  return {
    loadId: 'load-1',
    resource: 'users',
    schemaChanges: [],
    writes: [],
    deletes: [],
    sweeps: [],
    state: [],
    counts: { rows: 0 },
    ...partial,
  }
}

/** JSON columns read back as text on SQLite and DuckDB and already parsed (jsonb) on Postgres. */
export function jsonReader(kind: DestinationKind): (value: unknown) => unknown {
  return (value) => (kind !== 'postgres' && typeof value === 'string' ? JSON.parse(value) : value)
}

/** Timestamps read back as ISO text on SQLite and Date on Postgres and DuckDB. */
export function iso(value: unknown): string | null {
  if (value === null) return null
  return value instanceof Date ? value.toISOString() : String(value)
}
