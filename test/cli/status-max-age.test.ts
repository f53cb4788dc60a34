import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusReport } from '../../src/cli/commands/status.ts'
import { parseDuration } from '../../src/cli/duration.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { runCliProcess } from '../reliability/helpers.ts'
import { tempDir } from './helpers.ts'

/** `okta-elt status --max-age` as the real binary: the freshness check a monitor runs. */
const TOKEN = 'status-test-token-0123456789abcdef'
let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({ seed: 9, token: TOKEN, size: { users: 20, groups: 3, apps: 2, logEvents: 20, logDays: 1 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

const HOUR = 3_600_000

describe('parseDuration', () => {
  it('reads 26h, 90m, 2d, 1h30m, 45s, 1w', () => {
    expect(parseDuration('26h')).toBe(26 * HOUR)
    expect(parseDuration('90m')).toBe(90 * 60_000)
    expect(parseDuration('2d')).toBe(48 * HOUR)
    expect(parseDuration('1h30m')).toBe(90 * 60_000)
    expect(parseDuration('45s')).toBe(45_000)
    expect(parseDuration('1w')).toBe(168 * HOUR)
    expect(parseDuration('1.5h')).toBe(90 * 60_000)
  })
  it('rejects a bare number, an unknown unit, zero and junk, naming the flag', () => {
    for (const bad of ['26', '26x', '0h', '', 'h', '-1h', '26 h', '1e3h']) expect(() => parseDuration(bad), bad).toThrow(/--max-age: /)
  })
})

/** Writes to a destination's `_okta_elt_loads` behind the pipeline's back: `sqlite` on the file, `postgres` with the schema on the search path. */
async function editLoads(url: string, sqlite: (db: Database.Database) => void, postgres: (client: pg.Client) => Promise<void>): Promise<void> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length))
    try {
      sqlite(db)
    } finally {
      db.close()
    }
    return
  }
  const u = new URL(url)
  const schema = u.searchParams.get('schema')!
  u.searchParams.delete('schema')
  const client = new pg.Client({ connectionString: u.toString() })
  await client.connect()
  try {
    await client.query(`set search_path to "${schema}"`)
    await postgres(client)
  } finally {
    await client.end()
  }
}

/** Moves a resource's successful loads back in time, as if the last success was `hours` ago. */
async function ageLoads(url: string, resource: string, hours: number): Promise<void> {
  const when = new Date(Date.now() - hours * HOUR)
  await editLoads(
    url,
    (db) => db.prepare('update _okta_elt_loads set finished_at = ?, started_at = ? where resource = ?').run(when.toISOString(), when.toISOString(), resource),
    async (client) => void (await client.query('update _okta_elt_loads set finished_at = $1, started_at = $1 where resource = $2', [when, resource])),
  )
}

/** `n` loads of `resource`, all newer than any before (started now, a second apart), e.g. an hourly resource's. */
async function addLoads(url: string, resource: string, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.now() + (i + 1) * 1000).toISOString()
    return [`extra-${resource}-${i}`, `extra-run-${i}`, resource, i % 2 === 0 ? 'succeeded' : 'failed', at, at]
  })
  const insert = 'insert into _okta_elt_loads (load_id, run_id, resource, status, started_at, finished_at, rows, batches) values'
  await editLoads(
    url,
    (db) => {
      const stmt = db.prepare(`${insert} (?, ?, ?, ?, ?, ?, 0, 0)`)
      db.transaction(() => rows.forEach((r) => stmt.run(...r)))()
    },
    async (client) => {
      for (const r of rows) await client.query(`${insert} ($1, $2, $3, $4, $5, $6, 0, 0)`, r)
    },
  )
}

function destinations(): { name: string; url: () => string }[] {
  const out = [{ name: 'sqlite', url: () => `sqlite:${join(tmp.dir, `s-${Math.random().toString(36).slice(2)}.db`)}` }]
  const base = postgresUrl()
  if (base !== null) out.push({ name: 'postgres', url: () => withSchema(base, uniqueSchema('maxage')) })
  return out
}

describe.each(destinations())('status --max-age ($name)', ({ url: fresh }) => {
  const schemas: string[] = []
  afterAll(async () => {
    for (const s of schemas) await dropSchema(postgresUrl()!, s)
  })

  it('exit 0 after a fresh run; exit 1 naming each stale or never-loaded resource and its last success', async () => {
    const url = fresh()
    if (url.startsWith('postgres')) schemas.push(new URL(url).searchParams.get('schema')!)
    const env = { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN }
    const config = tmp.write(`cfg-${Math.random().toString(36).slice(2)}.json`, { destination: url, resources: ['users', 'groups', 'apps'] })
    const run = await runCliProcess(['run', '--config', config, '--resources', 'users,groups'], { env, cwd: tmp.dir })
    expect(run.code, run.stderr).toBe(0)

    // The config selects apps too, which never loaded.
    const never = await runCliProcess(['status', '--config', config, '--max-age', '26h'], { cwd: tmp.dir })
    expect(never.code).toBe(1)
    expect(never.stderr.trimEnd().split('\n')).toEqual(['okta-elt: apps: stale: no successful load yet'])

    // Only what --resources names is judged.
    const fine = await runCliProcess(['status', '--config', config, '--max-age', '26h', '--resources', 'users,groups'], { cwd: tmp.dir })
    expect(fine.code, fine.stderr).toBe(0)
    expect(fine.stderr).toBe('')
    expect(fine.stdout).toContain('Recent loads')

    await ageLoads(url, 'users', 30)
    const stale = await runCliProcess(['status', '--config', config, '--max-age', '26h', '--resources', 'users,groups'], { cwd: tmp.dir })
    expect(stale.code).toBe(1)
    const lines = stale.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^okta-elt: users: stale: last successful load \d{4}-\d\d-\d\dT[\d:.]+Z, 30h00m ago \(max age 26h00m\)$/)
    // A longer allowance passes; --json carries the verdict.
    const wide = await runCliProcess(['status', '--config', config, '--max-age', '2d', '--resources', 'users,groups', '--json'], { cwd: tmp.dir })
    expect(wide.code, wide.stderr).toBe(0)
    const report = JSON.parse(wide.stdout) as StatusReport
    expect(report.freshness).toEqual({ maxAgeMs: 48 * HOUR, selected: ['users', 'groups'], stale: [] })

    const json = await runCliProcess(['status', '--config', config, '--max-age', '90m', '--json'], { cwd: tmp.dir })
    expect(json.code).toBe(1)
    const r = JSON.parse(json.stdout) as StatusReport
    expect(r.freshness!.stale.map((s) => s.resource)).toEqual(['users', 'apps'])
    expect(r.freshness!.stale[1]).toEqual({ resource: 'apps', lastSuccessAt: null, ageMs: null })
  })

  it("a resource's last success behind hundreds of newer loads of other resources still counts", async () => {
    const url = fresh()
    if (url.startsWith('postgres')) schemas.push(new URL(url).searchParams.get('schema')!)
    const env = { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN }
    const run = await runCliProcess(['run', '--destination', url, '--resources', 'users'], { env, cwd: tmp.dir })
    expect(run.code, run.stderr).toBe(0)
    // As a weekly users load beside hourly groups loads leaves it: 600 newer loads of another resource.
    await addLoads(url, 'groups', 600)
    const status = await runCliProcess(['status', '--destination', url, '--max-age', '26h', '--resources', 'users', '--json'], { cwd: tmp.dir })
    expect(status.code, status.stderr).toBe(0)
    const report = JSON.parse(status.stdout) as StatusReport
    expect(report.resources.find((r) => r.resource === 'users')!.lastSuccess).toMatchObject({ rows: 20 })
    expect(report.resources.find((r) => r.resource === 'groups')!.lastSuccess?.loadId).toBe('extra-groups-598')
    expect(report.freshness!.stale).toEqual([])
  })
})

it('a malformed --max-age is a usage error (exit 2, one line)', async () => {
  const res = await runCliProcess(['status', '--destination', `sqlite:${join(tmp.dir, 'x.db')}`, '--max-age', '26'], { cwd: tmp.dir })
  expect(res.code).toBe(2)
  expect(res.stderr.trimEnd().split('\n')).toHaveLength(1)
  expect(res.stderr).toMatch(/max-age.*expected a duration such as 26h/)
})
