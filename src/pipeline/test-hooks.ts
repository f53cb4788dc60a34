import { setTimeout as sleep } from 'node:timers/promises'
import type { CommitBatch } from '../destinations/destination.ts'

/**
 * Fault hooks for the reliability suite (test/reliability), and nothing else. The ONLY place that
 * reads `OKTA_ELT_TEST_KILL_AT`; when it is unset (always, in production) this returns no hook and
 * the pipeline runs exactly as without this module.
 *
 *   OKTA_ELT_TEST_KILL_AT=<resource>:<batch>:<action>[:<ms>]
 *
 * fires inside the `<batch>`-th (1-based) commit transaction of `<resource>`, after every row,
 * delete, sweep and cursor write of that batch and before COMMIT:
 *  - `before-commit`: SIGKILL this process (a crash at the worst moment: everything written, nothing committed);
 *  - `stall`: hold the open transaction for `<ms>` (default 2000) while the test acts from outside
 *    (drops the connection, starts a competing run).
 */
export const KILL_AT_ENV = 'OKTA_ELT_TEST_KILL_AT'

const DEFAULT_STALL_MS = 2000

export interface TestHooks {
  beforeCommit?: (batch: CommitBatch) => Promise<void>
}

export function testHooksFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TestHooks {
  const spec = env[KILL_AT_ENV]
  if (spec === undefined || spec === '') return {}
  const [resource, n, action, ms] = spec.split(':')
  const batch = Number(n)
  const stallMs = ms === undefined ? DEFAULT_STALL_MS : Number(ms)
  if (resource === undefined || !Number.isInteger(batch) || batch < 1 || (action !== 'before-commit' && action !== 'stall') || !(stallMs >= 0)) {
    throw new Error(`${KILL_AT_ENV}: expected <resource>:<batch>:before-commit|stall[:<ms>], got ${spec}`)
  }
  let seen = 0
  return {
    beforeCommit: async (commit) => {
      if (commit.resource !== resource || ++seen !== batch) return
      if (action === 'before-commit') process.kill(process.pid, 'SIGKILL')
      // Tells the test the transaction is open now (stderr: never part of a --json document).
      process.stderr.write(`${KILL_AT_ENV}: holding the ${resource} batch ${batch} transaction open for ${stallMs} ms\n`)
      await sleep(stallMs)
    },
  }
}
