/**
 * One writer per destination, with real processes: a second run exits at once with the lock
 * message (or, with `lockWaitSeconds`, waits and runs after the first), their loads never
 * interleave, and a SIGKILLed run's lock does not block the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationKinds, destinations, jsonLines, SMALL_ORG, startCli, tempDir, withReader, type CliRun } from './helpers.ts'
import { DEFAULT_RESOURCES } from '../../src/resources/types.ts'

let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({ seed: 71, size: SMALL_ORG })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

interface LoadRow {
  run_id: string
  resource: string
  status: string
  error: string | null
  started_at: string
  finished_at: string | null
}

/** Holds the first run's users batch 1 open for 4 s: time for the test to stop it there (whileStopped). */
const HOLD = { OKTA_ELT_TEST_KILL_AT: 'users:1:stall:4000' }

/**
 * Runs `fn` with `run` stopped (SIGSTOP), so it keeps the lock for as long as `fn` takes. The
 * stall alone was a 4 s window the second run's start-up missed on a loaded machine (two test
 * files at once): the first had finished before the second asked for the lock.
 */
async function whileStopped<T>(run: CliRun, fn: () => Promise<T>): Promise<T> {
  run.child.kill('SIGSTOP')
  try {
    return await fn()
  } finally {
    run.child.kill('SIGCONT')
  }
}

const loadsOf = (url: string) =>
  withReader(url, (r) => r.all<LoadRow>('SELECT run_id, resource, status, error, CAST(started_at AS TEXT) AS started_at, CAST(finished_at AS TEXT) AS finished_at FROM _okta_elt_loads'))

for (const kind of destinationKinds()) {
  describe(`one writer → ${kind}`, () => {
    let dests: ReturnType<typeof destinations>
    beforeAll(() => {
      dests = destinations(kind)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    function cliRun(url: string, extra: object = {}, env: Record<string, string> = {}) {
      const config = tmp.write(`c-${Math.random().toString(36).slice(2)}.json`, { okta: { orgUrl: sim.url }, destination: url, ...extra })
      return startCli(['--config', config, 'run', '--json'], { env: { OKTA_API_TOKEN: sim.token, ...env } })
    }
    /** The first run is inside its held transaction: it holds the lock for another ~4 s. */
    const started = (line: string) => line.includes('transaction open for')

    it.concurrent('a second run while one is running exits at once with the lock message; the first is untouched', async ({ expect }) => {
      const url = dests.fresh()
      const first = cliRun(url, {}, HOLD)
      expect(await first.waitFor(started), first.lines.join('\n')).not.toBeNull()
      const t0 = Date.now()
      const second = await whileStopped(first, () => cliRun(url).done)
      expect(Date.now() - t0).toBeLessThan(10_000)
      expect(second.code, second.stderr).toBe(1)
      const lines = second.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('{'))
      expect(lines).toHaveLength(1)
      // DuckDB: the file itself is held (one process per file), so the line names that process.
      const locked =
        kind === 'duckdb'
          ? /^okta-elt: duckdb:.* is open in another process \(pid \d+, .*\); DuckDB lets one process open a database file at a time: try again when it finishes$/
          : /^okta-elt: .* is locked by another okta-elt run \(held by .*pid \d+.*\); try again when it finishes/
      expect(lines[0]).toMatch(locked)
      expect(second.stdout).toBe('')

      const done = await first.done
      expect(done.code, done.stderr).toBe(0)
      const loads = await loadsOf(url)
      // Only the first run ever wrote a load.
      expect(new Set(loads.map((l) => l.run_id)).size).toBe(1)
      expect(loads.every((l) => l.status === 'succeeded')).toBe(true)
    })

    it.concurrent('with lockWaitSeconds the second run waits, then runs after the first: their loads never interleave', async ({ expect }) => {
      const url = dests.fresh()
      const first = cliRun(url, {}, HOLD)
      expect(await first.waitFor(started)).not.toBeNull()
      const second = cliRun(url, { lockWaitSeconds: 60 })
      const waiting = await whileStopped(first, () => second.waitFor((l) => l.includes('"event":"destination.lock_wait"')))
      expect(waiting, second.lines.join('\n')).not.toBeNull()
      const [a, b] = await Promise.all([first.done, second.done])
      expect(a.code, a.stderr).toBe(0)
      expect(b.code, b.stderr).toBe(0)
      expect(jsonLines(b.stderr).some((e) => e['event'] === 'destination.lock_wait')).toBe(true)
      const runA = (JSON.parse(a.stdout) as { runId: string }).runId
      const runB = (JSON.parse(b.stdout) as { runId: string }).runId
      const loads = await loadsOf(url)
      const ofA = loads.filter((l) => l.run_id === runA)
      const ofB = loads.filter((l) => l.run_id === runB)
      expect(ofA).toHaveLength(DEFAULT_RESOURCES.length)
      expect(ofB).toHaveLength(DEFAULT_RESOURCES.length)
      const lastOfA = Math.max(...ofA.map((l) => Date.parse(l.finished_at!)))
      const firstOfB = Math.min(...ofB.map((l) => Date.parse(l.started_at)))
      expect(firstOfB).toBeGreaterThanOrEqual(lastOfA)
    })

    it.concurrent('a SIGKILLed run holding the lock does not block the next run', async ({ expect }) => {
      const url = dests.fresh()
      const killed = await cliRun(url, { load: { maxBatchRows: 1 } }, { OKTA_ELT_TEST_KILL_AT: 'users:2:before-commit' }).done
      expect(killed.signal).toBe('SIGKILL')
      const t0 = Date.now()
      const next = await cliRun(url).done // lockWaitSeconds 0: the lock must be free now
      expect(next.code, next.stderr).toBe(0)
      expect(Date.now() - t0).toBeLessThan(20_000)
      const loads = await loadsOf(url)
      // The next run's loads all succeeded; the dead run's (left `running`) it closed as abandoned.
      const nextRun = (JSON.parse(next.stdout) as { runId: string }).runId
      expect(loads.filter((l) => l.run_id === nextRun).map((l) => l.status)).toEqual(Array(DEFAULT_RESOURCES.length).fill('succeeded'))
      const dead = loads.filter((l) => l.run_id !== nextRun)
      expect(dead.length).toBeGreaterThan(0)
      expect(dead.every((l) => l.status === 'interrupted' || l.status === 'succeeded')).toBe(true)
      expect(dead.find((l) => l.resource === 'users')).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/^abandoned: /) })
    })
  })
}
