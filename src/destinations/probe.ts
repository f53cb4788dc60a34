import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, open, stat, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { driverReason } from './errors.ts'
import { quoteIdent } from './identifiers.ts'
import type { PostgresTarget } from './postgres/url.ts'
import type { SqliteTarget } from './sqlite/url.ts'
import { parseDestinationUrl } from './url.ts'

/**
 * Whether a run could write to a destination, found out without leaving anything behind (no
 * table, no schema, no file): the preflight of `okta-elt check`. SQLite: the directory takes a
 * new file (the database and its -wal/-shm journal live there), an existing file opens for writing
 * and is a SQLite database. Postgres: connects, and inside a transaction that is rolled back does
 * what a run's first step does (create the schema if missing, create a table in it), so a
 * read-only server, a read-only role or a missing privilege is reported with the database's reason.
 */
export interface DestinationProbe {
  writable: boolean
  /** One line: what was found, or why a run could not write. No password. */
  detail: string
  /** True for a kind of destination this preflight does not know how to probe (then `writable` says nothing). */
  unchecked?: boolean
}

const CONNECT_TIMEOUT_MS = 5_000

export async function probeDestination(url: string, cwd: string = process.cwd()): Promise<DestinationProbe> {
  const target = parseDestinationUrl(url)
  if (target.kind === 'sqlite') return probeSqlite((target as SqliteTarget).path, cwd)
  if (target.kind === 'postgres') return probePostgres((target as PostgresTarget).connectionString, (target as PostgresTarget).schema)
  // A destination kind added later (e.g. DuckDB) without a probe of its own: say so, never guess.
  return { writable: false, unchecked: true, detail: `no preflight for ${(target as { kind: string }).kind} destinations yet` }
}

async function probeSqlite(path: string, cwd: string): Promise<DestinationProbe> {
  if (path === ':memory:') return { writable: true, detail: 'in-memory database (nothing is kept after the run)' }
  const file = resolve(cwd, path)
  const dir = dirname(file)
  const dirStat = await stat(dir).catch(() => null)
  if (dirStat === null) return { writable: false, detail: `directory ${dir} does not exist` }
  if (!dirStat.isDirectory()) return { writable: false, detail: `${dir} is not a directory` }

  // A real write (not access(W_OK), which says yes to root on a read-only mount): create and remove a file.
  const probe = resolve(dir, `.okta-elt-check-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await (await open(probe, 'wx')).close()
    await unlink(probe)
  } catch (err) {
    return { writable: false, detail: `directory ${dir} is not writable (${codeOf(err)}): SQLite keeps the database and its -wal/-shm files there` }
  }

  const fileStat = await stat(file).catch(() => null)
  if (fileStat === null) return { writable: true, detail: `${file} does not exist yet; the first run creates it (directory writable)` }
  if (!fileStat.isFile()) return { writable: false, detail: `${file} is not a regular file` }
  try {
    await access(file, constants.W_OK)
    await (await open(file, 'r+')).close()
  } catch (err) {
    return { writable: false, detail: `${file} is read-only (${codeOf(err)})` }
  }
  let db: Database.Database | null = null
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2_000 })
    const tables = db.prepare(`select count(*) as n from sqlite_master where type = 'table'`).get() as { n: number }
    return { writable: true, detail: `${file} writable (${tables.n} tables)` }
  } catch (err) {
    return { writable: false, detail: `${file} is not a usable SQLite database: ${driverReason(err)}` }
  } finally {
    db?.close()
  }
}

async function probePostgres(connectionString: string, schema: string): Promise<DestinationProbe> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'okta-elt check' })
  // A connection dropped mid-probe surfaces from the awaited query; without a listener it would crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => undefined)
    return { writable: false, detail: `cannot connect: ${driverReason(err)}` }
  }
  try {
    const info = (
      await client.query<{ readonly: string; recovery: boolean; exists: boolean }>(
        `select current_setting('transaction_read_only') as readonly, pg_is_in_recovery() as recovery,
                exists (select 1 from pg_namespace where nspname = $1) as exists`,
        [schema],
      )
    ).rows[0]!
    if (info.recovery) return { writable: false, detail: 'the server is a read-only standby (pg_is_in_recovery)' }
    if (info.readonly === 'on') return { writable: false, detail: 'sessions are read-only (default_transaction_read_only = on)' }
    const probeTable = `_okta_elt_check_${randomBytes(4).toString('hex')}`
    await client.query('begin')
    try {
      // What the run's first step does (the run creates the schema unconditionally too).
      await client.query(`create schema if not exists ${quoteIdent(schema)}`)
      await client.query(`create table ${quoteIdent(schema)}.${quoteIdent(probeTable)} (x integer)`)
    } catch (err) {
      return { writable: false, detail: `cannot create tables in schema "${schema}": ${driverReason(err)}` }
    } finally {
      await client.query('rollback').catch(() => undefined)
    }
    return {
      writable: true,
      detail: info.exists ? `connected; schema "${schema}" exists and takes new tables` : `connected; schema "${schema}" does not exist yet, the first run creates it`,
    }
  } catch (err) {
    return { writable: false, detail: driverReason(err) }
  } finally {
    await client.end().catch(() => undefined)
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : driverReason(err)
}
