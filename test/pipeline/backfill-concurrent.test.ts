/**
 * `backfill --from` copies tables concurrently where the target allows it (Postgres, DuckDB: each
 * table on connections of its own). One table failing must fail the copy whole: every other lane
 * stops after its current batch, no cursor is copied, the backfill load is recorded failed, and
 * the same backfill run again completes the copy exactly.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CommitBatch, Destination } from '../../src/destinations/destination.ts'
import type { DestinationOptions } from '../../src/destinations/dialect.ts'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'

/** Which target URL fails which table's first data commit (set by the test). */
const fault: { url: string | null; table: string; thrown: boolean; startedAfter: number; tables: Set<string> } = { url: null, table: '', thrown: false, startedAfter: 0, tables: new Set() }

vi.mock('../../src/destinations/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/destinations/index.ts')>()
  return {
    ...real,
    openDestination(url: string, opts?: DestinationOptions): Destination {
      const dest = real.openDestination(url, opts)
      if (url !== fault.url) return dest
      return new Proxy(dest, {
        get(target, prop) {
          if (prop === 'commitBatch') {
            return async (batch: CommitBatch) => {
              const table = batch.writes[0]?.rows.table
              if (table !== undefined) {
                if (fault.thrown) fault.startedAfter++
                fault.tables.add(table)
                if (table === fault.table && !fault.thrown) {
                  fault.thrown = true
                  throw new Error(`injected failure copying ${table}`)
                }
              }
              return target.commitBatch(batch)
            }
          }
          const value = Reflect.get(target, prop, target) as unknown
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
        },
      })
    },
  }
})

const { runBackfill } = await import('../../src/pipeline/backfill.ts')
const { openDestination } = await import('../../src/destinations/index.ts')

const cases = destinationCases()
const sqlite = cases.find((c) => c.kind === 'sqlite')!
const concurrentTargets = cases.filter((c) => c.kind !== 'sqlite')

describe('backfill --from: concurrent table copies', () => {
  let sim: Simulator
  beforeEach(async () => {
    sim = await startSimulator({ seed: 7, size: { users: 300, groups: 10, apps: 5, logEvents: 12_000, logDays: 10 } })
    fault.url = null
    fault.thrown = false
    fault.startedAfter = 0
    fault.tables = new Set()
  })
  afterEach(async () => {
    await sim.close()
  })
  afterAll(async () => {
    for (const c of cases) await c.cleanup()
  })

  for (const toCase of concurrentTargets) {
    it(`sqlite → ${toCase.kind}: one table failing fails the copy whole, stops the other lanes, copies no cursor; a second backfill completes it`, async () => {
      const from = sqlite.freshUrl()
      const to = toCase.freshUrl()
      const config = defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination: from })
      expect((await runPipeline({ config })).status).toBe('succeeded')

      // groups is small: copied while system_log (12,000 rows, three pages) is still going on another lane.
      fault.url = to
      fault.table = 'groups'
      const failed = await runBackfill({ mode: 'copy', from, to, lockWaitMs: 0, logger: () => {} })
      expect(failed.mode === 'copy' && failed.copy.status).toBe('failed')
      expect(failed.mode === 'copy' && failed.copy.error).toMatch(/injected failure copying groups/)
      // Every lane stopped after the batch it had in flight: none started another.
      expect(fault.startedAfter).toBeLessThanOrEqual(3)
      // Several tables were being copied at once (not one table after another).
      expect(fault.tables.size).toBeGreaterThan(1)

      const target = openDestination(to)
      await target.prepare()
      try {
        expect(await target.readState('users')).toEqual([])
        expect(await target.readState('system_log')).toEqual([])
        const [load] = (await target.readLoads({ limit: 10 })).filter((l) => l.resource === 'backfill')
        expect(load?.status).toBe('failed')
      } finally {
        await target.close()
      }

      // Nothing half-claimed: the same backfill again completes the copy, verified by row counts.
      fault.url = null
      const again = await runBackfill({ mode: 'copy', from, to, lockWaitMs: 0, logger: () => {} })
      expect(again.mode === 'copy' && again.copy.error).toBeUndefined()
      expect(again.mode === 'copy' && again.copy.status).toBe('succeeded')
      const [a, b] = [openDestination(from), openDestination(to)]
      await Promise.all([a.prepare(), b.prepare()])
      try {
        expect(await b.countRows()).toEqual(await a.countRows())
        expect((await b.readState('users')).length).toBeGreaterThan(0)
        const loads = (await b.readLoads({ limit: 10 })).filter((l) => l.resource === 'backfill')
        expect(loads.map((l) => l.status).sort()).toEqual(['failed', 'succeeded'])
        // The load's counts are every copied row, added per table on the first connection.
        const succeeded = loads.find((l) => l.status === 'succeeded')!
        const total = (await a.countRows()).reduce((n, t) => n + t.rows + t.deleted, 0)
        expect(succeeded.rows).toBe(total)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })
  }
})
