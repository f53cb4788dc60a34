/**
 * Exactly once in effect, by force: `okta-elt run` is SIGKILLed (a real subprocess) inside the
 * commit transaction of every resource (first and later batches, through the test-only
 * OKTA_ELT_TEST_KILL_AT hook, src/pipeline/test-hooks.ts) and at random moments, then run again to
 * completion; every table must then hold exactly what an uninterrupted run loaded: same rows, no
 * duplicate, no gap, same schema, same cursor rows. Shared by crash-sqlite / crash-postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import {
  destinationKinds,
  destinations,
  diffSnapshots,
  SMALL_ORG,
  seededRandom,
  snapshot,
  startCli,
  tempDir,
  withReader,
  type DestKind,
  type Snapshot,
} from './helpers.ts'

/** Every resource, its first batch and a later one (the counts SMALL_ORG gives each resource). */
const HOOK_POINTS: [resource: string, batch: number][] = [
  ['users', 1],
  ['users', 3],
  ['groups', 1],
  ['group_users', 1],
  ['group_users', 7],
  ['apps', 1],
  ['apps_assigned', 1],
  ['apps_assigned', 4],
  ['system_log', 1],
  ['system_log', 3],
]
const RANDOM_TRIALS = 4

export function defineCrashSuite(kind: DestKind): void {
  const enabled = destinationKinds().includes(kind)
  describe.skipIf(!enabled)(`crash recovery → ${kind}`, () => {
    let sim: Simulator
    let dests: ReturnType<typeof destinations>
    let tmp: ReturnType<typeof tempDir>
    let expected: Snapshot

    beforeAll(async () => {
      sim = await startSimulator({ seed: 21, size: SMALL_ORG })
      dests = destinations(kind)
      tmp = tempDir()
      const url = dests.fresh()
      const summary = await runPipeline({ config: configFor(url) })
      expect(summary.status).toBe('succeeded')
      expected = await snapshot(url)
      // The org really spans several batches per resource (else the hook points would not fire).
      expect(summary.resources.find((r) => r.resource === 'users')!.batches).toBeGreaterThanOrEqual(3)
      expect(summary.resources.find((r) => r.resource === 'system_log')!.batches).toBeGreaterThanOrEqual(3)
      expect(summary.resources.find((r) => r.resource === 'group_users')!.batches).toBeGreaterThanOrEqual(7)
      expect(summary.resources.find((r) => r.resource === 'apps_assigned')!.batches).toBeGreaterThanOrEqual(4)
    })
    afterAll(async () => {
      await sim?.close()
      await dests?.cleanup()
      tmp?.cleanup()
    })

    const configFor = (destination: string) =>
      defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination })

    function cliRun(url: string, env: Record<string, string> = {}) {
      const config = tmp.write(`config-${Math.random().toString(36).slice(2)}.json`, { okta: { orgUrl: sim.url }, destination: url })
      return startCli(['--config', config, 'run', '--json'], { env: { OKTA_API_TOKEN: sim.token, ...env } })
    }

    /** The rerun: must start at once (a dead run's lock is no obstacle) and complete. */
    async function rerunAndCompare(url: string): Promise<void> {
      const summary = await runPipeline({ config: configFor(url) })
      expect(summary.resources.filter((r) => r.status !== 'succeeded')).toEqual([])
      expect(diffSnapshots(expected, await snapshot(url))).toEqual([])
    }

    it.each(HOOK_POINTS)('SIGKILL inside %s batch %i commit (rows written, not committed): rerun ends with identical tables', async (resource, batch) => {
      const url = dests.fresh()
      const exit = await cliRun(url, { OKTA_ELT_TEST_KILL_AT: `${resource}:${batch}:before-commit` }).done
      expect(exit.signal, exit.stderr).toBe('SIGKILL')
      // The batch being committed was rolled back: its load counted only the batches before it,
      // and the load stays `running` (nobody could record an outcome).
      const loads = await withReader(url, (r) =>
        r.all<{ status: string; batches: number | bigint }>(`SELECT status, batches FROM _okta_elt_loads WHERE resource = '${resource}'`),
      )
      expect(loads.map((l) => [l.status, Number(l.batches)])).toEqual([['running', batch - 1]])
      await rerunAndCompare(url)
    })

    it(`SIGKILL at ${RANDOM_TRIALS} random moments (some twice in a row): rerun ends with identical tables`, async () => {
      const seed = Number(process.env.OKTA_ELT_CRASH_SEED ?? Date.now() % 1_000_000)
      const random = seededRandom(seed)
      let killedMidRun = 0
      for (let trial = 0; trial < RANDOM_TRIALS; trial++) {
        const url = dests.fresh()
        const kills = trial % 2 === 0 ? 1 : 2
        for (let k = 0; k < kills; k++) {
          const run = cliRun(url)
          // A random point in the stream of log lines (one per committed batch), plus a random few ms.
          const line = 1 + Math.floor(random() * 30)
          await run.waitForLine(line)
          await new Promise((r) => setTimeout(r, Math.floor(random() * 15)))
          run.child.kill('SIGKILL')
          const exit = await run.done
          if (exit.signal === 'SIGKILL') killedMidRun++
          else expect(exit.code, `trial ${trial} (seed ${seed}): ${exit.stderr}`).toBe(0)
        }
        const problems = await rerunAndCompare(url).then(
          () => [],
          (err: unknown) => [`trial ${trial}, OKTA_ELT_CRASH_SEED=${seed}: ${String(err)}`],
        )
        expect(problems).toEqual([])
      }
      // Most kills landed mid-run (a kill after the run finished proves nothing).
      expect(killedMidRun).toBeGreaterThanOrEqual(RANDOM_TRIALS)
    })
  })
}
