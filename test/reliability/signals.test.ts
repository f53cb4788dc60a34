/**
 * SIGINT / SIGTERM during `okta-elt run` (a real subprocess): the batch in flight finishes or rolls
 * back, every load is recorded (`interrupted` or `succeeded`, never left `running`), the exit code
 * is 130, the lock is released so the next run starts at once, and that run completes the tables
 * exactly as an uninterrupted run would have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { RunSummary } from '../../src/pipeline/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationKinds, destinations, diffSnapshots, jsonLines, SMALL_ORG, snapshot, startCli, tempDir, withReader, type Snapshot } from './helpers.ts'

let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  // Some latency so a run lasts long enough to be interrupted in the middle.
  sim = await startSimulator({ seed: 23, size: SMALL_ORG, latencyMs: 40 })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

for (const kind of destinationKinds()) {
  describe(`interrupting a run → ${kind}`, () => {
    let dests: ReturnType<typeof destinations>
    let expected: Snapshot
    const configFor = (destination: string) => defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination })

    beforeAll(async () => {
      dests = destinations(kind)
      const url = dests.fresh()
      expect((await runPipeline({ config: configFor(url) })).status).toBe('succeeded')
      expected = await snapshot(url)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    it.concurrent.for(['SIGINT', 'SIGTERM'] as const)('%s: batch finishes or rolls back, loads recorded interrupted, exit 130, lock released', async (sig, { expect }) => {
      const url = dests.fresh()
      const config = tmp.write(`${kind}-${sig}.json`, { okta: { orgUrl: sim.url }, destination: url })
      const run = startCli(['--config', config, 'run', '--json'], { env: { OKTA_API_TOKEN: sim.token } })
      expect(await run.waitFor((l) => l.includes('"event":"progress"')), run.lines.join('\n')).not.toBeNull()
      run.child.kill(sig)
      const exit = await run.done
      expect(exit.code, exit.stderr).toBe(130)
      const summary = JSON.parse(exit.stdout) as RunSummary
      expect(summary.status).toBe('interrupted')
      expect(jsonLines(exit.stderr).some((e) => e['event'] === 'run.interrupt')).toBe(true)
      expect(exit.stderr.trimEnd().split('\n').at(-1)).toMatch(/^okta-elt: .*interrupted/i)

      const loads = await withReader(url, (r) =>
        r.all<{ resource: string; status: string; rows: number | bigint }>('SELECT resource, status, rows FROM _okta_elt_loads'),
      )
      // Every load has an outcome; at least one was cut short.
      expect(loads.filter((l) => l.status !== 'succeeded' && l.status !== 'interrupted')).toEqual([])
      expect(loads.some((l) => l.status === 'interrupted')).toBe(true)
      // What the loads say they committed is exactly what the tables hold (first run: no overlap).
      const users = loads.find((l) => l.resource === 'users')
      const userRows = await withReader(url, (r) => r.all<{ n: number | bigint | string }>('SELECT count(*) AS n FROM users').catch(() => [{ n: 0 }]))
      expect(Number(userRows[0]!.n)).toBe(Number(users?.rows ?? 0))
      for (const r of summary.resources) expect(['succeeded', 'interrupted', 'skipped']).toContain(r.status)

      // The lock is free at once (lockWaitMs 0), and the next run completes the job.
      const next = await runPipeline({ config: configFor(url) })
      expect(next.status).toBe('succeeded')
      expect(diffSnapshots(expected, await snapshot(url))).toEqual([])
    })

    it('a second SIGINT exits at once (130) even mid-commit; the next run still starts and completes', async () => {
      const url = dests.fresh()
      const config = tmp.write(`${kind}-twice.json`, { okta: { orgUrl: sim.url }, destination: url })
      // The users batch 1 transaction is held open for 10 s: the first SIGINT alone would wait for it.
      const run = startCli(['--config', config, 'run', '--json'], { env: { OKTA_API_TOKEN: sim.token, OKTA_ELT_TEST_KILL_AT: 'users:1:stall:10000' } })
      expect(await run.waitFor((l) => l.includes('transaction open for'))).not.toBeNull()
      run.child.kill('SIGINT')
      expect(await run.waitFor((l) => l.includes('"event":"run.interrupt"'))).not.toBeNull()
      const t0 = Date.now()
      run.child.kill('SIGINT')
      const exit = await run.done
      expect(exit.code).toBe(130)
      expect(Date.now() - t0).toBeLessThan(5000)
      expect(exit.stderr).toMatch(/SIGINT again, exiting now/)
      const next = await runPipeline({ config: configFor(url) })
      expect(next.status).toBe('succeeded')
      expect(diffSnapshots(expected, await snapshot(url))).toEqual([])
    })
  })
}
