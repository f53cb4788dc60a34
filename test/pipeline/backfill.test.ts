import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDestination } from '../../src/destinations/index.ts'
import type { Destination } from '../../src/destinations/destination.ts'
import { runBackfill } from '../../src/pipeline/backfill.ts'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { PipelineConfig } from '../../src/pipeline/types.ts'
import type { RowValue } from '../../src/schema/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { query } from '../helpers/query.ts'

const SIZE = { users: 250, groups: 10, apps: 5, logEvents: 400, logDays: 10 }

/** Every table's full contents, comparable across databases (JSON compared as values). */
async function snapshot(url: string): Promise<Record<string, unknown[]>> {
  const dest = openDestination(url)
  await dest.prepare()
  try {
    const out: Record<string, unknown[]> = {}
    for (const table of await dest.readSchema()) {
      const types = table.columns.map((c) => c.type)
      const rows: unknown[] = []
      let after: RowValue[] | undefined
      for (;;) {
        const page = await dest.readRows(table.name, { limit: 1000, ...(after ? { after } : {}) })
        if (page.rows.length === 0) break
        for (const row of page.rows) {
          rows.push(Object.fromEntries(page.columns.map((c, i) => [c, types[i] === 'json' && typeof row[i] === 'string' ? JSON.parse(row[i]) : row[i]])))
        }
        const last = page.rows[page.rows.length - 1]!
        after = table.primaryKey.map((k) => last[page.columns.indexOf(k)] ?? null)
      }
      out[table.name] = rows
    }
    return out
  } finally {
    await dest.close()
  }
}

async function stateOf(dest: Destination): Promise<unknown[]> {
  const all = []
  for (const r of ['users', 'groups', 'group_users', 'apps', 'apps_assigned', 'system_log']) {
    all.push(...(await dest.readState(r)).map((s) => ({ resource: s.resource, parentId: s.parentId, cursor: s.cursor })))
  }
  return all
}

const cases = destinationCases()
const sqlite = cases.find((c) => c.kind === 'sqlite')
/** Every ordered pair of the destinations this run covers: a backfill goes between any two. */
const pairs = cases.flatMap((from) => cases.filter((to) => to !== from).map((to) => [from, to] as const))

describe.runIf(pairs.length > 0)('backfill --from (copy between destinations)', () => {
  let sim: Simulator
  let config: PipelineConfig
  beforeEach(async () => {
    sim = await startSimulator({ seed: 5, size: SIZE })
  })
  afterEach(async () => {
    await sim.close()
  })
  afterAll(async () => {
    for (const c of cases) await c.cleanup()
  })

  for (const [fromCase, toCase] of pairs) {
    it(`copies ${fromCase.kind} → ${toCase.kind} exactly, and the next run on the copy is incremental`, async () => {
      const from = fromCase.freshUrl()
      const to = toCase.freshUrl()
      config = defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: from })
      expect((await runPipeline({ config })).status).toBe('succeeded')
      // Some history: an edit, a hard delete (rows carrying _deleted_at must copy as they are).
      const ids = [...sim.org.userIds()]
      sim.org.updateUser(ids[1]!, { title: 'Copied' })
      sim.org.deleteUser(ids[2]!)
      expect((await runPipeline({ config })).status).toBe('succeeded')

      const result = await runBackfill({ mode: 'copy', from, to, lockWaitMs: 0, logger: () => {} })
      expect(result.mode).toBe('copy')
      if (result.mode !== 'copy') return
      expect(result.copy.status).toBe('succeeded')
      expect(result.copy.stateRows).toBeGreaterThan(6)

      const original = await snapshot(from)
      expect(original['users']).toHaveLength(SIZE.users)
      expect(Object.keys(original)).toContain('system_log__target')
      // History older than Okta's log survives only in the copy: the history tables go too.
      expect(original['group_users_history']!.length).toBeGreaterThan(0)
      expect(original['users_history']!.length).toBeGreaterThanOrEqual(SIZE.users)
      expect(await snapshot(to)).toEqual(original)
      const [a, b] = [openDestination(from), openDestination(to)]
      await Promise.all([a.prepare(), b.prepare()])
      expect(await stateOf(b)).toEqual(await stateOf(a))
      const loadsFrom = (await a.readLoads({ limit: 100 })).map((l) => l.loadId).sort()
      const loadsTo = (await b.readLoads({ limit: 100 })).filter((l) => l.resource !== 'backfill').map((l) => l.loadId).sort()
      expect(loadsTo).toEqual(loadsFrom)
      await Promise.all([a.close(), b.close()])

      // The copy continues incrementally: no full reload, and a new change arrives.
      sim.org.updateUser(ids[4]!, { title: 'After backfill' })
      sim.clearRequests()
      const next = await runPipeline({ config: { ...config, destination: to } })
      expect(next.status).toBe('succeeded')
      expect(next.resources.find((r) => r.resource === 'users')!.rows).toBeLessThan(10)
      expect(next.resources.find((r) => r.resource === 'system_log')!.rows).toBeLessThan(10)
      expect(sim.requests.length).toBeLessThan(21)
      const [row] = await query<{ title: string }>(to, `SELECT profile__title AS title FROM users WHERE id = '${ids[4]}'`)
      expect(row?.title).toBe('After backfill')
    })
  }

  it('refuses to backfill into a destination a run already loaded', async () => {
    const [fromCase, toCase] = pairs[0]!
    const from = fromCase.freshUrl()
    const to = toCase.freshUrl()
    config = defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: from })
    await runPipeline({ config: { ...config, resources: ['apps'] } })
    await runPipeline({ config: { ...config, destination: to, resources: ['apps'] } })
    await expect(runBackfill({ mode: 'copy', from, to, lockWaitMs: 0, logger: () => {} })).rejects.toThrow(/already holds loaded data/)
    await expect(runBackfill({ mode: 'extract', config: { ...config, destination: to }, logger: () => {} })).rejects.toThrow(/already holds loaded data/)
  })
})

describe.runIf(sqlite)('backfill --to (fresh extraction)', () => {
  it('loads everything into the new destination and leaves the configured one untouched', async () => {
    const sim = await startSimulator({ seed: 6, size: SIZE })
    try {
      const configured = sqlite!.freshUrl()
      const fresh = sqlite!.freshUrl()
      const config = defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: fresh })
      const result = await runBackfill({ mode: 'extract', config, logger: () => {} })
      expect(result.mode === 'extract' && result.summary.status).toBe('succeeded')
      const [n] = await query<{ n: number }>(fresh, 'SELECT count(*) AS n FROM users')
      expect(n?.n).toBe(sim.org.counts().users)
      const untouched = openDestination(configured)
      await untouched.prepare()
      expect(await untouched.readLoads()).toEqual([])
      await untouched.close()
    } finally {
      await sim.close()
      await sqlite!.cleanup()
    }
  })
})
