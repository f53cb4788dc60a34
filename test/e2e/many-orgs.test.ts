/**
 * The README's many-orgs model: one config, one process and one destination per org. Two orgs
 * loading into two schemas of one Postgres database run at the same time (the one-writer lock is
 * per schema, so one org's long run never blocks another's), a third org lands in its own SQLite
 * file, and each destination holds exactly its own org.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { query } from '../helpers/query.ts'
import { expectExit, okta, start, workdir, type Workdir } from './helpers.ts'

const SIZE = { users: 120, groups: 8, apps: 5, logEvents: 150, logDays: 5 }
const ORGS = ['acme', 'globex', 'initech'] as const
type Org = (typeof ORGS)[number]

const pgBase = postgresUrl()

describe.runIf(pgBase !== null)('many orgs: one config and one destination per org', () => {
  const sims = {} as Record<Org, Simulator>
  const destination = {} as Record<Org, string>
  const prefix = uniqueSchema('msp')
  let work: Workdir
  /** Each org's token in its own variable, named by its config (as an MSP keeps them apart). */
  const env = {} as Record<string, string>

  beforeAll(async () => {
    work = workdir()
    for (const [i, org] of ORGS.entries()) {
      sims[org] = await startSimulator({ seed: 500 + i, size: SIZE })
      destination[org] = org === 'initech' ? `sqlite:${work.path('initech.db')}` : withSchema(pgBase!, `${prefix}_okta_${org}`)
      const tokenEnv = `${org.toUpperCase()}_OKTA_TOKEN`
      env[tokenEnv] = sims[org].token
      work.writeConfig({ okta: { orgUrl: sims[org].url, auth: { type: 'ssws', tokenEnv } }, destination: destination[org] }, `${org}.json`)
    }
  })

  afterAll(async () => {
    await Promise.all(ORGS.map((org) => sims[org]?.close()))
    for (const org of ['acme', 'globex'] as const) await dropSchema(pgBase!, `${prefix}_okta_${org}`)
    work?.cleanup()
  })

  it('orgs in two schemas of one database run at once; each destination holds only its own org', async () => {
    // acme holds its first users batch open for 15 s (its schema's lock with it): long enough for
    // the other two orgs to start and finish meanwhile, even on a loaded machine.
    const acme = start(['run', '--config', 'acme.json'], { cwd: work.dir, env: { ...env, OKTA_ELT_TEST_KILL_AT: 'users:1:stall:15000' } })
    let acmeStderr = ''
    await new Promise<void>((resolve, reject) => {
      acme.child.stderr!.on('data', (chunk: Buffer) => {
        acmeStderr += chunk.toString()
        if (acmeStderr.includes('transaction open for')) resolve()
      })
      acme.child.on('exit', () => reject(new Error(`acme exited before holding its batch:\n${acmeStderr}`)))
    })
    const [globex, initech] = await Promise.all([
      okta(['run', '--config', 'globex.json'], { cwd: work.dir, env }),
      okta(['run', '--config', 'initech.json'], { cwd: work.dir, env }),
    ])
    expectExit(globex, 0)
    expectExit(initech, 0)
    expect(acme.child.exitCode, 'acme still running while globex and initech finished').toBeNull()
    expectExit(await acme.done, 0)

    for (const org of ORGS) {
      const ids = new Set((await query<{ id: string }>(destination[org], 'SELECT id FROM users')).map((r) => r.id))
      const expected = new Set([...sims[org].org.userIds()])
      expect(ids, org).toEqual(expected)
    }
    // Different seeds: the orgs' users are different people, so no org's rows leaked into another.
    const globexIds = new Set(sims.globex.org.userIds())
    expect([...sims.acme.org.userIds()].some((id) => globexIds.has(id))).toBe(false)
  })
})
