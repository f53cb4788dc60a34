/**
 * Shared machinery of the reliability suite: the CLI as a real subprocess (so SIGKILL, SIGINT and
 * exit codes are the real thing), temp configs, and table snapshots for "same tables as an
 * uninterrupted run" comparisons, read with plain drivers independent of the code under test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomStream } from '../../src/simulator/random.ts'
import { tempDir as sharedTempDir } from '../helpers/temp-dir.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import Database from 'better-sqlite3'
import pg from 'pg'
import { DESTINATION_KINDS, type DestinationKind } from '../destinations/destinations.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'

export const BIN = resolve(import.meta.dirname, '../../bin/okta-elt.js')

/**
 * A small org with many batches: users 3 pages (200), System Log 2 pages (1000), one
 * group_users batch per group, one apps_assigned batch per app (+ each resource's final batch).
 */
export const SMALL_ORG = { users: 450, groups: 10, apps: 5, logEvents: 1300, logDays: 10 }

export type DestKind = DestinationKind

/** Which destinations this run covers (OKTA_ELT_TEST_DESTINATIONS narrows, like test/destinations). */
export function destinationKinds(): DestKind[] {
  const raw = process.env.OKTA_ELT_TEST_DESTINATIONS
  const all = [...DESTINATION_KINDS]
  const wanted = raw === undefined || raw.trim() === '' ? all : all.filter((k) => raw.split(/[,|\s]+/).includes(k))
  return wanted.filter((k) => k !== 'postgres' || postgresUrl() !== null)
}

/** Fresh destination URLs of one kind; `cleanup` drops every schema / file created. */
export function destinations(kind: DestKind): { fresh(): string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'okta-elt-rel-'))
  const schemas: string[] = []
  let n = 0
  return {
    fresh() {
      if (kind === 'sqlite') return `sqlite:${join(dir, `d${++n}.db`)}`
      if (kind === 'duckdb') return `duckdb:${join(dir, `d${++n}.duckdb`)}`
      const schema = uniqueSchema('rel')
      schemas.push(schema)
      return withSchema(postgresUrl()!, schema)
    },
    async cleanup() {
      for (const s of schemas.splice(0)) await dropSchema(postgresUrl()!, s)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function tempDir(): ReturnType<typeof sharedTempDir> {
  return sharedTempDir('okta-elt-rel-')
}

export interface CliRun {
  child: ChildProcess
  /** Resolves when the process exited. */
  done: Promise<CliExit>
  /** stderr lines so far. */
  lines: string[]
  /** Resolves when the `n`-th stderr line (1-based) arrived, or the process exited first (false). */
  waitForLine(n: number): Promise<boolean>
  /** Resolves with the first stderr line matching, or null when the process exited first. */
  waitFor(match: (line: string) => boolean): Promise<string | null>
}

export interface CliExit {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Starts `okta-elt <args>` with a clean environment: only PATH/HOME plus `env`, so nothing of the
 * test runner's own environment (a destination, a token, a kill hook) leaks in.
 */
export function startCli(args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...opts.env },
    cwd: opts.cwd ?? tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  const lines: string[] = []
  const waiters: { test: () => boolean; resolve: (v: boolean) => void }[] = []
  const wake = (): void => {
    for (const w of [...waiters]) {
      if (w.test()) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(true)
      }
    }
  }
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
    partial += d
    const parts = partial.split('\n')
    partial = parts.pop()!
    lines.push(...parts)
    wake()
  })
  const done = new Promise<CliExit>((res) => {
    child.on('close', (code, signal) => {
      if (partial !== '') lines.push(partial)
      for (const w of waiters.splice(0)) w.resolve(w.test())
      res({ code, signal, stdout, stderr })
    })
  })
  const waitUntil = (test: () => boolean): Promise<boolean> => {
    if (test()) return Promise.resolve(true)
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(false)
    return new Promise((res) => waiters.push({ test, resolve: res }))
  }
  return {
    child,
    done,
    lines,
    waitForLine: (n) => waitUntil(() => lines.length >= n),
    waitFor: async (match) => {
      const found = (): string | undefined => lines.find(match)
      return (await waitUntil(() => found() !== undefined)) ? (found() ?? null) : null
    },
  }
}

export async function runCliProcess(args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliExit> {
  return startCli(args, opts).done
}

/** The JSON log lines a run wrote on stderr (non-JSON lines, e.g. the final `okta-elt: …` line, skipped). */
export function jsonLines(stderr: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue
    out.push(JSON.parse(line) as Record<string, unknown>)
  }
  return out
}

// ---- reading a destination back -----------------------------------------------------------

/** One connection to a destination URL, for plain SQL reads (and a few writes) in tests. */
export interface Reader {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

export async function openReader(url: string): Promise<Reader> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length))
    db.defaultSafeIntegers(true)
    return {
      all: async <T>(sql: string, params: unknown[] = []) => db.prepare(sql).all(...params) as T[],
      close: async () => {
        db.close()
      },
    }
  }
  if (url.startsWith('duckdb:')) {
    // Its own instance: the destination (another process, or this one's) must have closed the file.
    const instance = await DuckDBInstance.create(url.slice('duckdb:'.length))
    const conn = await instance.connect()
    return {
      all: async <T>(sql: string, params: unknown[] = []) => (await conn.runAndReadAll(sql, params as never)).getRowObjectsJS() as T[],
      close: async () => {
        conn.closeSync()
        instance.closeSync()
      },
    }
  }
  const u = new URL(url)
  const schema = u.searchParams.get('schema') ?? 'okta'
  u.search = ''
  const client = new pg.Client({
    connectionString: u.toString(),
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') => {
        // Exact text for int8/numeric (ids beyond 2^53), raw text for jsonb and timestamps.
        if (oid === 20 || oid === 1700 || oid === 3802 || oid === 114 || oid === 1184) return (v: string) => v
        return pg.types.getTypeParser(oid, format)
      },
    } as pg.CustomTypesConfig,
  })
  await client.connect()
  await client.query(`SET search_path TO "${schema.replaceAll('"', '""')}"`)
  await client.query(`SET TimeZone TO 'UTC'`)
  return {
    all: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    close: () => client.end(),
  }
}

export async function withReader<T>(url: string, fn: (r: Reader) => Promise<T>): Promise<T> {
  const r = await openReader(url)
  try {
    return await fn(r)
  } finally {
    await r.close()
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * Everything a run leaves that must not depend on crashes: every data table's rows (as canonical
 * JSON, sorted, NULLs omitted), `_load_id` dropped and `_deleted_at` reduced to deleted-or-not (both are
 * per-run stamps), the inferred schema (table, column, path, type), and which cursor rows exist.
 */
export interface Snapshot {
  schema: string[]
  stateKeys: string[]
  tables: Record<string, string[]>
}

export async function snapshot(url: string): Promise<Snapshot> {
  return withReader(url, async (r) => {
    const cols = await r.all<{ table_name: string; column_name: string; path: string; type: string }>(
      'SELECT table_name, column_name, path, type FROM _okta_elt_columns',
    )
    const schema = cols.map((c) => `${c.table_name}.${c.column_name} ${c.type} ${c.path}`).sort()
    const stateKeys = (await r.all<{ resource: string; parent_id: string }>('SELECT resource, parent_id FROM _okta_elt_state'))
      .map((s) => `${s.resource}/${s.parent_id}`)
      .sort()
    const tables: Record<string, string[]> = {}
    for (const name of [...new Set(cols.map((c) => c.table_name))].sort()) {
      const rows = await r.all(`SELECT * FROM ${quoteIdent(name)}`)
      tables[name] = rows.map(canonicalRow).sort()
    }
    return { schema, stateKeys, tables }
  })
}

/** Simulators on other ports serve the same org: `_links` differ only by the origin. */
const LOOPBACK_ORIGIN = /http:\/\/127\.0\.0\.1:\d+/g

/**
 * History intervals whose start is the load's own (`load`) or where the log began (`log_horizon`,
 * 90 days before the load) start at a different instant in every run: compared by source only.
 */
const RUN_TIMED_SOURCES = new Set(['load', 'log_horizon'])

function canonicalRow(row: Record<string, unknown>): string {
  const out: [string, unknown][] = []
  const runTimed = typeof row['_valid_source'] === 'string' && RUN_TIMED_SOURCES.has(row['_valid_source'])
  for (const key of Object.keys(row).sort()) {
    if (key === '_load_id') continue
    if (key === '_valid_from' && runTimed) {
      out.push([key, row['_valid_source']])
      continue
    }
    const v = row[key]
    // A NULL is an absent value: a column another run added (and left empty) changes nothing.
    if (v === null && key !== '_deleted_at') continue
    if (key === '_deleted_at') out.push([key, v !== null])
    else if (typeof v === 'string') out.push([key, v.replace(LOOPBACK_ORIGIN, 'http://okta.test')])
    else out.push([key, typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : v])
  }
  return JSON.stringify(out)
}

/** Human-readable differences (empty when equal): per table, missing and extra rows. */
export function diffSnapshots(expected: Snapshot, actual: Snapshot): string[] {
  const problems: string[] = []
  const listDiff = (what: string, a: readonly string[], b: readonly string[]): void => {
    const counts = new Map<string, number>()
    for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1)
    for (const x of b) counts.set(x, (counts.get(x) ?? 0) - 1)
    const missing = [...counts].filter(([, n]) => n > 0).map(([x]) => x)
    const extra = [...counts].filter(([, n]) => n < 0).map(([x]) => x)
    if (a.length !== b.length) problems.push(`${what}: ${b.length} rows, expected ${a.length}`)
    if (missing.length > 0) problems.push(`${what}: ${missing.length} missing, e.g. ${missing[0]!.slice(0, 300)}`)
    if (extra.length > 0) problems.push(`${what}: ${extra.length} unexpected (duplicates or changed), e.g. ${extra[0]!.slice(0, 300)}`)
  }
  listDiff('schema', expected.schema, actual.schema)
  listDiff('cursor rows', expected.stateKeys, actual.stateKeys)
  const names = new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)])
  for (const name of [...names].sort()) listDiff(`table ${name}`, expected.tables[name] ?? [], actual.tables[name] ?? [])
  return problems
}

/** Deterministic [0,1) generator, so a failing random trial can be replayed by seed. */
export const seededRandom = (seed: number): (() => number) => randomStream(seed, 0x7e57)
