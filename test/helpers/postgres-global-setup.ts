/**
 * Finds the Postgres the test suite runs against, once per `vitest run`:
 *  1. `OKTA_ELT_TEST_PG_URL` when set (CI sets it after starting the local cluster);
 *  2. otherwise a throwaway container via testcontainers when a Docker engine is reachable;
 *  3. otherwise the suite fails loudly. `OKTA_ELT_SKIP_PG=1` skips the Postgres cases explicitly
 *     (CI never sets it).
 * The URL reaches tests through vitest's provide/inject (see ./postgres.ts).
 */
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.OKTA_ELT_TEST_PG_URL
  if (fromEnv) {
    project.provide('pgUrl', fromEnv)
    return async () => {}
  }
  if (process.env.OKTA_ELT_SKIP_PG === '1') {
    project.provide('pgUrl', null)
    return async () => {}
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  try {
    const container = await new PostgreSqlContainer('postgres:17-alpine').start()
    project.provide('pgUrl', container.getConnectionUri())
    return async () => {
      await container.stop()
    }
  } catch (err) {
    throw new Error(
      'Postgres tests need a database: no Docker engine is reachable for testcontainers and OKTA_ELT_TEST_PG_URL is not set. ' +
        'Set OKTA_ELT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test (or OKTA_ELT_SKIP_PG=1 to skip them explicitly). ' +
        `testcontainers said: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    )
  }
}
