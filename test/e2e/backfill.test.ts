/**
 * `okta-elt backfill` through the binary: a fresh extraction (`--to`), copies SQLite → Postgres,
 * Postgres → SQLite and Postgres → DuckDB (`--from`), then an incremental `run --destination
 * <copy>` that continues from the copied cursors instead of starting over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CopySummary } from '../../src/pipeline/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { count, query } from '../helpers/query.ts'
import { expectExit, okta, parseSummary, plainLines, rowsByResource, simConfig, workdir, type Workdir } from './helpers.ts'
import { DEFAULT_RESOURCES } from '../../src/resources/types.ts'

const SIZE = { users: 300, groups: 25, apps: 12, logEvents: 500, logDays: 10 }
const TABLES = ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log', 'system_log__target']

const cases = destinationCases()
const sqlite = cases.find((c) => c.kind === 'sqlite')
const postgres = cases.find((c) => c.kind === 'postgres')
const duckdb = cases.find((c) => c.kind === 'duckdb')

/** Row counts per table, live and deleted, plus the load history and cursor rows. */
async function contents(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of TABLES) {
    out[table] = await count(url, table)
    out[`${table} deleted`] = await count(url, `${table} WHERE _deleted_at IS NOT NULL`)
  }
  out['_okta_elt_loads'] = await count(url, '_okta_elt_loads')
  out['_okta_elt_state'] = await count(url, '_okta_elt_state')
  return out
}

describe.runIf(sqlite && postgres)('okta-elt backfill (SQLite ↔ Postgres)', () => {
  let sim: Simulator
  let work: Workdir
  let env: Record<string, string>
  let original: string
  let deletedUser: string

  beforeAll(async () => {
    sim = await startSimulator({ seed: 9, size: SIZE })
    work = workdir()
    original = sqlite!.freshUrl()
    work.writeConfig(simConfig(sim.url, original))
    env = { OKTA_API_TOKEN: sim.token }
    // The configured destination, with two runs of history and a hard delete to carry over.
    expectExit(await okta(['run'], { cwd: work.dir, env }), 0)
    deletedUser = [...sim.org.userIds()][7]!
    sim.org.deleteUser(deletedUser)
    expectExit(await okta(['run'], { cwd: work.dir, env }), 0)
  })
  afterAll(async () => {
    await sim?.close()
    work?.cleanup()
    await sqlite?.cleanup()
    await postgres?.cleanup()
    await duckdb?.cleanup()
  })

  it('--to without --from extracts the whole org into a new destination, leaving the configured one alone', async () => {
    const before = await contents(original)
    const target = postgres!.freshUrl()
    const result = await okta(['backfill', '--to', target, '--json'], { cwd: work.dir, env })
    expectExit(result, 0)
    const summary = parseSummary(result)
    expect(summary.status).toBe('succeeded')
    const counts = sim.org.counts()
    expect(rowsByResource(summary)).toMatchObject({ users: counts.users, groups: counts.groups, group_users: counts.memberships, apps: counts.apps })
    expect(await count(target, 'users')).toBe(counts.users)
    expect(await count(target, 'system_log')).toBe(counts.logEvents)
    // Its own fresh state: one run of history, not the original's two.
    expect(await count(target, '_okta_elt_loads')).toBe(DEFAULT_RESOURCES.length)
    expect(await contents(original)).toEqual(before)

    // A backfill never overwrites a destination that already holds loads.
    const again = await okta(['backfill', '--to', target], { cwd: work.dir, env })
    expectExit(again, 2)
    expect(plainLines(again.stderr)).toEqual([expect.stringMatching(/^okta-elt: backfill: .* already holds loaded data; use `okta-elt run --destination`/)])
  })

  let pgCopy: string
  let sqliteCopy: string

  it('--from SQLite --to Postgres copies data, deletes, schema, cursors and load history', async () => {
    pgCopy = postgres!.freshUrl()
    sim.clearRequests()
    // No token needed: a copy never talks to Okta.
    const result = await okta(['backfill', '--from', original, '--to', pgCopy, '--json'], { cwd: work.dir, env: {} })
    expectExit(result, 0)
    expect(sim.requests).toHaveLength(0)
    const copy = JSON.parse(result.stdout) as CopySummary
    expect(copy.status).toBe('succeeded')
    const source = await contents(original)
    for (const table of TABLES) expect(copy.tables.find((t) => t.table === table)?.rows, table).toBe(source[table])
    expect(copy.stateRows).toBe(source['_okta_elt_state'])
    // Plus one load recording the backfill itself.
    expect(await contents(pgCopy)).toEqual({ ...source, _okta_elt_loads: source['_okta_elt_loads']! + 1 })
    expect(await query(pgCopy, "SELECT status, rows FROM _okta_elt_loads WHERE resource = 'backfill'")).toEqual([
      { status: 'succeeded', rows: copy.tables.reduce((n, t) => n + t.rows, 0) },
    ])
    expect(source['users deleted']).toBe(1)
    const [gone] = await query<{ deleted: string | null }>(pgCopy, `SELECT _deleted_at AS deleted FROM users WHERE id = '${deletedUser}'`)
    expect(gone?.deleted).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('--from Postgres --to SQLite copies it back, with a human summary', async () => {
    sqliteCopy = sqlite!.freshUrl()
    const result = await okta(['backfill', '--from', pgCopy, '--to', sqliteCopy], { cwd: work.dir, env: {} })
    expectExit(result, 0)
    expect(result.stdout).toMatch(/^okta-elt backfill succeeded in \S+: postgres:\/\/.* → sqlite:/)
    const source = await contents(original)
    expect(result.stdout).toMatch(new RegExp(`system_log\\s+${source['system_log']}\\n`))
    expect(result.stdout).toMatch(new RegExp(`\\b${source['_okta_elt_state']} cursor state rows`))
    // The original's loads, its backfill to Postgres, and this backfill.
    expect(await contents(sqliteCopy)).toEqual({ ...source, _okta_elt_loads: source['_okta_elt_loads']! + 2 })
  })

  let duckdbCopy: string | undefined

  it.runIf(duckdb)('--from Postgres --to DuckDB copies it into real DuckDB types', async () => {
    duckdbCopy = duckdb!.freshUrl()
    const result = await okta(['backfill', '--from', pgCopy, '--to', duckdbCopy], { cwd: work.dir, env: {} })
    expectExit(result, 0)
    expect(result.stdout).toMatch(/^okta-elt backfill succeeded in \S+: postgres:\/\/.* → duckdb:/)
    const source = await contents(original)
    expect(await contents(duckdbCopy)).toEqual({ ...source, _okta_elt_loads: source['_okta_elt_loads']! + 2 })
    const types = await query<{ column_name: string; data_type: string }>(
      duckdbCopy,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name IN ('created', '_deleted_at', 'profile__title')",
    )
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toEqual({
      created: 'TIMESTAMP WITH TIME ZONE',
      _deleted_at: 'TIMESTAMP WITH TIME ZONE',
      profile__title: 'VARCHAR',
    })
  })

  it('a run against either copy continues incrementally from the copied cursors', async () => {
    const edited = [...sim.org.userIds()][11]!
    sim.org.updateUser(edited, { title: 'Backfilled and edited' })
    for (const copy of [pgCopy, sqliteCopy, ...(duckdbCopy === undefined ? [] : [duckdbCopy])]) {
      sim.clearRequests()
      const result = await okta(['run', '--destination', copy, '--json'], { cwd: work.dir, env })
      expectExit(result, 0)
      const summary = parseSummary(result)
      expect(summary.destination.startsWith(copy.slice(0, 8))).toBe(true)
      // A first run would list every group's members, every app's users and groups and every
      // admin's roles (~100 requests here); an incremental one costs what a no-change night does (18,
      // one of them the history tables' log query).
      expect(sim.requests.length, copy).toBeLessThanOrEqual(19)
      const rows = rowsByResource(summary)
      expect(rows['users']).toBe(1)
      expect(rows['group_users']).toBe(0)
      expect(rows['apps_assigned']).toBe(0)
      const [row] = await query<{ title: string }>(copy, `SELECT profile__title AS title FROM users WHERE id = '${edited}'`)
      expect(row?.title).toBe('Backfilled and edited')
      expect(await count(copy, 'users')).toBe(SIZE.users)
    }
  })
})
