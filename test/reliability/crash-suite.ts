/**
 * Exactly once in effect, by force: `okta-elt run` is SIGKILLed (a real subprocess) inside the
 * commit transaction of every resource (first and later batches, through the test-only
 * OKTA_ELT_TEST_KILL_AT hook, src/pipeline/test-hooks.ts) and at random moments, then run again to
 * completion; every table must then hold exactly what an uninterrupted run loaded: same rows, no
 * duplicate, no gap, same schema, same cursor rows. Shared by crash-sqlite / crash-postgres /
 * crash-duckdb.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { RunSummary } from '../../src/pipeline/types.ts'
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

/**
 * Every resource, its first batch and a later one (the counts SMALL_ORG gives each resource).
 * SQLite runs every point; Postgres and DuckDB the later batches only (plus groups and apps): a
 * Postgres trial costs ~3x a SQLite one, a DuckDB one ~2x since the history tables (its history
 * statements cost it most), and the suite has a 10-minute budget.
 */
function hookPoints(kind: DestKind): [resource: string, batch: number][] {
  const all: [string, number][] = [
    ['users', 1],
    ['users', 3],
    ['groups', 1],
    ['group_users', 1],
    ['group_users', 7],
    ['apps', 1],
    ['apps_assigned', 1],
    ['apps_assigned', 4],
    ['system_log', 1],
    ['system_log', 2],
    // The access graph: a per-app child (narrowed like apps_assigned) and the role assignments.
    ['app_groups', 1],
    ['user_roles', 1],
  ]
  if (kind === 'sqlite') return all
  return all.filter(([r, b]) => b > 1 || r === 'groups' || r === 'apps')
}
/** Random-moment trials per destination; `OKTA_ELT_SOAK=1` (outside CI) runs many more. */
const RANDOM_TRIALS = process.env.OKTA_ELT_SOAK === '1' ? 40 : 3

/**
 * The pid of the okta-elt writer holding a transaction open on `schema`'s tables. Called once the
 * run has said (on stderr) that its `stall` hook holds the batch's transaction open, so the
 * transaction found is that one: an idle-in-transaction age cannot tell it apart from the pause
 * of an earlier, ordinary commit when the writer is starved of CPU (two test files at once on a
 * loaded machine), which made the trial terminate the wrong batch.
 */
async function writerInTransaction(url: string, schema: string): Promise<number | null> {
  return withReader(url, async (r) => {
    const rows = await r.all<{ pid: number }>(
      `SELECT DISTINCT a.pid FROM pg_stat_activity a
         JOIN pg_locks l ON l.pid = a.pid
         JOIN pg_class c ON c.oid = l.relation
         JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND a.application_name = 'okta-elt writer' AND a.state = 'idle in transaction'`,
      [schema],
    )
    return rows.length === 1 ? rows[0]!.pid : null
  })
}

/**
 * Timeout of each concurrent test of a suite. They run together (up to vitest's maxConcurrency, 5,
 * at once) in one worker, next to another test file, so each one's wall time is its share of the
 * whole group's: a DuckDB trial takes ~5 s alone, but 30 s (the default timeout, which it hit)
 * to 67 s in its group on a loaded 2-core machine. Every test gets the group's budget, 20 s per
 * trial in it: a hang detector, not a speed check.
 */
function groupTimeout(kind: DestKind): number {
  const trials = hookPoints(kind).length + (kind === 'postgres' ? TERMINATED.length : 0) + RANDOM_TRIALS
  return trials * 20_000
}

/** Where the Postgres trials terminate the writer's connection: inside the `n`-th commit of a resource. */
const TERMINATED = [
  ['users', 2],
  ['group_users', 3],
] as const

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
      expect(summary.resources.find((r) => r.resource === 'system_log')!.batches).toBeGreaterThanOrEqual(2)
      expect(summary.resources.find((r) => r.resource === 'group_users')!.batches).toBeGreaterThanOrEqual(7)
      expect(summary.resources.find((r) => r.resource === 'apps_assigned')!.batches).toBeGreaterThanOrEqual(4)
    })
    afterAll(async () => {
      await sim?.close()
      await dests?.cleanup()
      tmp?.cleanup()
    })

    // One page per commit (maxBatchRows 1) where a test names "the n-th batch": the hook points
    // are then the same on every run. The random trials let small pages merge (maxBatchRows 250:
    // group members and app users pages share commits while the destination is busy) yet keep
    // enough commits (about 30 log lines) for a random kill to land mid-run.
    const configFor = (destination: string) => ({
      ...defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'ssws', token: sim.token }, destination }),
      maxBatchRows: 1,
    })

    function cliRun(url: string, env: Record<string, string> = {}) {
      const load = { maxBatchRows: env['OKTA_ELT_TEST_KILL_AT'] === undefined ? 250 : 1 }
      const config = tmp.write(`config-${Math.random().toString(36).slice(2)}.json`, { okta: { orgUrl: sim.url }, destination: url, load })
      return startCli(['--config', config, 'run', '--json'], { env: { OKTA_API_TOKEN: sim.token, ...env } })
    }

    /** The rerun: must start at once (a dead run's lock is no obstacle) and complete; returns the differences. */
    async function rerunAndDiff(url: string): Promise<string[]> {
      const summary = await runPipeline({ config: configFor(url) })
      const unfinished = summary.resources.filter((r) => r.status !== 'succeeded').map((r) => `rerun: ${r.resource} ${r.status}: ${r.error}`)
      // The dead run's loads, left `running`, were closed by the rerun when it took the lock.
      const running = await withReader(url, (r) => r.all<{ resource: string }>(`SELECT resource FROM _okta_elt_loads WHERE status = 'running'`))
      const stillRunning = running.map((l) => `load of ${l.resource} still running after the rerun`)
      return [...unfinished, ...stillRunning, ...diffSnapshots(expected, await snapshot(url))]
    }

    // Concurrent (each trial has its own destination): the Postgres trials mostly wait on commits.
    it.concurrent.for(hookPoints(kind))('SIGKILL inside the %s batch %i commit (rows written, not committed): rerun ends with identical tables', { timeout: groupTimeout(kind) }, async ([resource, batch], { expect }) => {
      const url = dests.fresh()
      const exit = await cliRun(url, { OKTA_ELT_TEST_KILL_AT: `${resource}:${batch}:before-commit` }).done
      expect(exit.signal, exit.stderr).toBe('SIGKILL')
      // The batch being committed was rolled back: its load counted only the batches before it,
      // and the load stays `running` (nobody could record an outcome).
      const loads = await withReader(url, (r) =>
        r.all<{ status: string; batches: number | bigint }>(`SELECT status, batches FROM _okta_elt_loads WHERE resource = '${resource}'`),
      )
      expect(loads.map((l) => [l.status, Number(l.batches)])).toEqual([['running', batch - 1]])
      expect(await rerunAndDiff(url)).toEqual([])
      const closed = await withReader(url, (r) =>
        r.all<{ status: string; error: string }>(`SELECT status, error FROM _okta_elt_loads WHERE resource = '${resource}' AND status <> 'succeeded'`),
      )
      expect(closed).toEqual([{ status: 'interrupted', error: expect.stringMatching(/^abandoned: /) }])
    })

    // A Postgres connection dropped mid-transaction (server restart, failover, idle-in-transaction
    // timeout): the writer is terminated from another connection while it holds a batch open.
    it.runIf(kind === 'postgres').concurrent.for(TERMINATED)('writer connection terminated inside the %s batch %i transaction: that resource fails cleanly, the rest loads, a rerun ends with identical tables', { timeout: groupTimeout(kind) }, async ([resource, batch], { expect }) => {
      const url = dests.fresh()
      const schema = new URL(url).searchParams.get('schema')!
      const run = cliRun(url, { OKTA_ELT_TEST_KILL_AT: `${resource}:${batch}:stall:3000` })
      const holding = await run.waitFor((l) => l.includes(`holding the ${resource} batch ${batch} transaction open`))
      expect(holding, `the run never reached the ${resource} batch ${batch} commit: ${run.lines.join('\n')}`).not.toBeNull()
      const pid = await writerInTransaction(url, schema)
      expect(pid, 'no single okta-elt writer holds a transaction open on the schema').not.toBeNull()
      // Only while it still holds that transaction (the stall lasts 3 s): else the trial would test another moment.
      const terminatedNow = await withReader(url, (r) =>
        r.all<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = $1 AND state = 'idle in transaction'`, [pid]),
      )
      expect(terminatedNow, 'the writer left the stalled transaction before the test could terminate it').toEqual([{ ok: true }])
      const exit = await run.done
      expect(exit.code, exit.stderr).toBe(1)
      const summary = JSON.parse(exit.stdout) as RunSummary
      const failed = summary.resources.filter((r) => r.status !== 'succeeded')
      expect(failed.map((r) => r.resource)).toEqual([resource])
      expect(failed[0]!.errorCode).toBe('ERR_DESTINATION_WRITE')
      expect(failed[0]!.error).toMatch(new RegExp(`commit of a ${resource} batch .* failed: .*(terminat|connection)`, 'i'))
      const loads = await withReader(url, (r) =>
        r.all<{ status: string; batches: number | bigint; error: string | null }>(
          `SELECT status, batches, error FROM _okta_elt_loads WHERE resource = '${resource}'`,
        ),
      )
      // Recorded as failed with the reason; the batches before the dropped one stay committed.
      expect(loads.map((l) => [l.status, Number(l.batches)])).toEqual([['failed', batch - 1]])
      expect(loads[0]!.error).toBe(failed[0]!.error)
      expect(await rerunAndDiff(url)).toEqual([])
    })

    it.concurrent(`SIGKILL at ${RANDOM_TRIALS} random moments (some twice in a row): rerun ends with identical tables`, { timeout: groupTimeout(kind) }, async ({ expect }) => {
      const seed = Number(process.env.OKTA_ELT_CRASH_SEED ?? Date.now() % 1_000_000)
      const random = seededRandom(seed)
      let killedMidRun = 0
      for (let trial = 0; trial < RANDOM_TRIALS; trial++) {
        const url = dests.fresh()
        const kills = trial % 2 === 0 ? 1 : 2
        for (let k = 0; k < kills; k++) {
          const run = cliRun(url)
          // A random point in the stream of log lines (one per committed batch), plus a random few ms.
          const line = 1 + Math.floor(random() * 20)
          await run.waitForLine(line)
          await new Promise((r) => setTimeout(r, Math.floor(random() * 15)))
          run.child.kill('SIGKILL')
          const exit = await run.done
          if (exit.signal === 'SIGKILL') killedMidRun++
          else expect(exit.code, `trial ${trial} (seed ${seed}): ${exit.stderr}`).toBe(0)
        }
        const problems = await rerunAndDiff(url)
        expect(problems, `trial ${trial}, replay with OKTA_ELT_CRASH_SEED=${seed}`).toEqual([])
      }
      // Most kills landed mid-run (a kill after the run finished proves nothing).
      expect(killedMidRun).toBeGreaterThanOrEqual(RANDOM_TRIALS)
      console.info(`crash trials (${kind}): ${killedMidRun} random kills mid-run, OKTA_ELT_CRASH_SEED=${seed}`)
    })
  })
}
