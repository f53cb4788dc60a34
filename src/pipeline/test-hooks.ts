import { setTimeout as sleep } from 'node:timers/promises'
import type { CommitBatch } from '../destinations/destination.ts'

/**
 * Fault hooks for the reliability suite (test/reliability), and nothing else. The ONLY place that
 * reads `OKTA_ELT_TEST_KILL_AT`; when it is unset (always, in production) this returns no hook and
 * the pipeline runs exactly as without this module.
 *
 *   OKTA_ELT_TEST_KILL_AT=<resource>:<batch>:<action>
 *
 * fires inside the `<batch>`-th (1-based) commit transaction of `<resource>`, after every row,
 * delete, sweep and cursor write of that batch and before COMMIT:
 *  - `before-commit`: SIGKILL this process (a crash at the worst moment: everything written, nothing committed);
 *  - `stall`: hold the open transaction for 2 s (the test drops the connection from outside meanwhile).
 */
export const KILL_AT_ENV = 'OKTA_ELT_TEST_KILL_AT'

const STALL_MS = 2000

export interface TestHooks {
  beforeCommit?: (batch: CommitBatch) => Promise<void>
}

export function testHooksFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TestHooks {
  const spec = env[KILL_AT_ENV]
  if (spec === undefined || spec === '') return {}
  const [resource, n, action] = spec.split(':')
  const batch = Number(n)
  if (resource === undefined || !Number.isInteger(batch) || batch < 1 || (action !== 'before-commit' && action !== 'stall')) {
    throw new Error(`${KILL_AT_ENV}: expected <resource>:<batch>:before-commit|stall, got ${spec}`)
  }
  let seen = 0
  return {
    beforeCommit: async (commit) => {
      if (commit.resource !== resource || ++seen !== batch) return
      if (action === 'before-commit') process.kill(process.pid, 'SIGKILL')
      await sleep(STALL_MS)
    },
  }
}
