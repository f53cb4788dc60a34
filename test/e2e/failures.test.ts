/**
 * How the binary fails, as cron sees it: configuration errors exit 2 with one line, a bad token
 * exits 2 naming Okta's errorCode and never echoing the token, and two runs against the same
 * destination never interleave (the second exits 1 naming the holder, or waits its turn).
 */
import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { destinationCases } from '../destinations/destinations.ts'
import { query } from '../helpers/query.ts'
import { expectExit, okta, parseSummary, plainLines, simConfig, start, until, workdir, type Workdir } from './helpers.ts'
import { DEFAULT_RESOURCES, resourceStages } from '../../src/resources/index.ts'

const SIZE = { users: 120, groups: 8, apps: 4, logEvents: 150, logDays: 5 }

describe.concurrent('configuration errors: exit 2, one line naming the cause, nothing on stdout', () => {
  let work: Workdir
  beforeAll(() => {
    work = workdir()
  })
  afterAll(() => work.cleanup())

  const org = 'http://127.0.0.1:9'
  const cases: { name: string; config?: unknown; args?: string[]; env?: Record<string, string>; line: RegExp }[] = [
    {
      name: 'a misspelt key',
      config: { okta: { orgUrl: org, rateLimtShare: 0.5 }, destination: 'sqlite:x.db' },
      line: /^okta-elt: config \/\S*pipeline\.config\.json:\d+:\d+: unknown key "okta\.rateLimtShare" \(did you mean "rateLimitShare"\?\)$/,
    },
    {
      name: 'a wrong type',
      config: { okta: { orgUrl: org, maxInFlight: 'four' }, destination: 'sqlite:x.db' },
      line: /^okta-elt: config \/\S*pipeline\.config\.json:\d+:\d+: okta\.maxInFlight: expected number, got string$/,
    },
    {
      name: 'a secret in the file',
      config: { okta: { orgUrl: org, auth: { type: 'ssws', token: '00FileTokenSecret' } }, destination: 'sqlite:x.db' },
      line: /^okta-elt: config \/\S*pipeline\.config\.json:\d+:\d+: okta\.auth\.token: secrets are never read from the config file/,
    },
    {
      name: 'plain http to a remote org',
      config: { okta: { orgUrl: 'http://example.okta.com' }, destination: 'sqlite:x.db' },
      line: /^okta-elt: config \/\S*pipeline\.config\.json:\d+:\d+: okta\.orgUrl: must use https/,
    },
    {
      name: 'an unknown resource',
      config: { okta: { orgUrl: org }, destination: 'sqlite:x.db', resources: ['users', 'groupz'] },
      line: /^okta-elt: config \/\S*pipeline\.config\.json:\d+:\d+: resources\[1\]: expected one of .*got "groupz"$/,
    },
    { name: 'invalid JSON', config: '{"okta": ', line: /^okta-elt: config \/\S*pipeline\.config\.json:1:10: not valid JSON: expected a value/ },
    { name: 'a --config file that does not exist', args: ['--config', 'missing.json'], line: /^okta-elt: config \/\S*\/missing\.json: no such file$/ },
    {
      name: 'no token in the environment',
      config: { okta: { orgUrl: org }, destination: 'sqlite:x.db' },
      env: {},
      line: /^okta-elt: missing Okta API token: environment variable OKTA_API_TOKEN is not set/,
    },
    {
      name: 'an unsupported destination',
      config: { okta: { orgUrl: org }, destination: 'mysql://db/okta' },
      line: /^okta-elt: .*unsupported destination "mysql:\/\/db\/okta"/,
    },
    {
      name: 'an unreachable Postgres (its password never printed)',
      config: { okta: { orgUrl: org } },
      args: ['--destination', 'postgres://okta:Pg-Pass-123@127.0.0.1:9/analytics'],
      line: /^okta-elt: cannot reach destination postgres:\/\/okta@127\.0\.0\.1:9\/analytics.*ECONNREFUSED/,
    },
    { name: 'an unknown flag', config: { okta: { orgUrl: org }, destination: 'sqlite:x.db' }, args: ['--ful-refresh'], line: /^okta-elt: unknown option '--ful-refresh'/ },
  ]

  for (const c of cases) {
    it(c.name, async () => {
      const sub = workdir()
      try {
        if (c.config !== undefined) {
          if (typeof c.config === 'string') writeFileSync(sub.path('pipeline.config.json'), c.config)
          else sub.writeConfig(c.config as object)
        }
        const result = await okta(['run', ...(c.args ?? [])], { cwd: sub.dir, env: c.env ?? { OKTA_API_TOKEN: '00EnvTokenSecret' } })
        expectExit(result, 2)
        expect(result.stdout).toBe('')
        expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(c.line)])
        expect(result.stderr).not.toMatch(/00FileTokenSecret|00EnvTokenSecret|Pg-Pass-123|\n\s+at /)
      } finally {
        sub.cleanup()
      }
    })
  }
})

describe('an invalid token', () => {
  let sim: Simulator
  let work: Workdir
  const badToken = '00InvalidTokenThatMustNeverBePrinted-xyz'
  beforeAll(async () => {
    sim = await startSimulator({ seed: 3, size: SIZE })
    work = workdir()
    work.writeConfig(simConfig(sim.url, `sqlite:${work.path('okta.db')}`))
  })
  afterAll(async () => {
    await sim?.close()
    work?.cleanup()
  })

  it('exits 2 with one line carrying E0000011, and the token appears nowhere', async () => {
    const result = await okta(['run'], { cwd: work.dir, env: { OKTA_API_TOKEN: badToken } })
    expectExit(result, 2)
    expect(plainLines(result.stderr)).toEqual([expect.stringMatching(/^okta-elt: run failed: .*401 E0000011 Invalid token provided/)])
    expect(result.stdout).toContain('failed')
    expect(result.stdout + result.stderr).not.toContain(badToken)
    // Okta saw it once per resource (and once for the history tables' log query), and no resource kept retrying a 401.
    expect(sim.requests.filter((r) => r.status === 401).length).toBeLessThanOrEqual(resourceStages(DEFAULT_RESOURCES)[0]!.length + 1)
  })

  it('stays secret in --json and --verbose output too', async () => {
    const json = await okta(['run', '--json'], { cwd: work.dir, env: { OKTA_API_TOKEN: badToken } })
    expectExit(json, 2)
    const summary = parseSummary(json)
    expect(summary.exitCode).toBe(2)
    expect(summary.resources.every((r) => r.status === 'failed' && r.oktaErrorCode === 'E0000011')).toBe(true)
    const verbose = await okta(['run', '--verbose'], { cwd: work.dir, env: { OKTA_API_TOKEN: badToken } })
    expectExit(verbose, 2)
    for (const out of [json.stdout, json.stderr, verbose.stdout, verbose.stderr]) {
      expect(out).not.toContain(badToken)
      expect(out).not.toContain(badToken.slice(0, 12))
    }
  })
})

for (const dest of destinationCases()) {
  describe(`two runs against one ${dest.kind} destination`, () => {
    let sim: Simulator
    let work: Workdir
    let env: Record<string, string>
    let url: string

    beforeAll(async () => {
      sim = await startSimulator({ seed: 4, size: SIZE })
      work = workdir()
      url = dest.freshUrl()
      work.writeConfig(simConfig(sim.url, url))
      work.writeConfig(simConfig(sim.url, url, { lockWaitSeconds: 60 }), 'patient.config.json')
      env = { OKTA_API_TOKEN: sim.token }
    })
    afterAll(async () => {
      await sim?.close()
      work?.cleanup()
      await dest.cleanup()
    })

    /**
     * Starts a run that holds the lock until the test interrupts it: its System Log reads never
     * get an answer in time (the lock is taken before the first request to Okta).
     */
    async function startHolder() {
      sim.clearRequests()
      sim.faults.clear()
      sim.faults.inject({ kind: 'slow', path: '/api/v1/logs', delayMs: 60_000, times: Infinity })
      const holder = start(['run'], { cwd: work.dir, env })
      await until(() => sim.requests.length > 0, 15_000, 'the first run to reach Okta')
      return holder
    }

    /** SIGINT, as systemd's stop or Ctrl-C: the holder records its loads as interrupted, releases the lock, exits 130. */
    async function interrupt(holder: ReturnType<typeof start>) {
      sim.faults.clear()
      holder.child.kill('SIGINT')
      const result = await holder.done
      expectExit(result, 130)
      return result
    }

    it('the second exits 1 with one line naming the run that holds the lock', async () => {
      const holder = await startHolder()
      const second = await okta(['run'], { cwd: work.dir, env })
      expectExit(second, 1)
      // DuckDB admits one process per file: the second cannot even open it, and says who has it.
      const locked =
        dest.kind === 'duckdb'
          ? new RegExp(`^okta-elt: duckdb:.* is open in another process \\(pid ${holder.child.pid}, [^)]*\\); DuckDB lets one process open a database file at a time: try again when it finishes$`)
          : new RegExp(`^okta-elt: .* is locked by another okta-elt run \\(held by [^:]+:${holder.child.pid}:[0-9a-f-]{36}, pid ${holder.child.pid} on .*\\); try again when it finishes$`)
      expect(plainLines(second.stderr)).toEqual([expect.stringMatching(locked)])
      expect(second.stdout).toBe('')
      if (dest.kind === 'duckdb') {
        // Not even a read-only open while a run has the file: `status` says the same one line.
        const status = await okta(['status'], { cwd: work.dir, env: {} })
        expectExit(status, 1)
        expect(plainLines(status.stderr)).toEqual([expect.stringMatching(locked)])
      }
      await interrupt(holder)
      const loads = await query<{ resource: string; status: string }>(url, 'SELECT resource, status FROM _okta_elt_loads')
      expect(loads.find((l) => l.resource === 'system_log')?.status).toBe('interrupted')
    })

    it('with lockWaitSeconds the second waits, then runs after the first', async () => {
      const holder = await startHolder()
      const waiter = start(['run', '--json', '--config', 'patient.config.json'], { cwd: work.dir, env })
      // Long enough for the waiter to start and block on the lock.
      await new Promise((r) => setTimeout(r, 2_000))
      expect(waiter.child.exitCode).toBeNull()
      const releasedAt = Date.now()
      await interrupt(holder)
      const second = await waiter.done
      expectExit(second, 0)
      expect(parseSummary(second).status).toBe('succeeded')
      // Never interleaved: the waiter's loads all start after the holder's last one finished.
      const loads = await query<{ run_id: string; started_at: string; finished_at: string | null }>(
        url,
        'SELECT run_id, started_at, finished_at FROM _okta_elt_loads ORDER BY started_at',
      )
      const waiterRun = parseSummary(second).runId
      const holderLoads = loads.filter((l) => l.run_id !== waiterRun)
      const waiterLoads = loads.filter((l) => l.run_id === waiterRun)
      expect(waiterLoads).toHaveLength(DEFAULT_RESOURCES.length)
      const holderEnd = Math.max(...holderLoads.map((l) => Date.parse(l.finished_at ?? l.started_at)))
      expect(Math.min(...waiterLoads.map((l) => Date.parse(l.started_at)))).toBeGreaterThanOrEqual(Math.max(holderEnd, releasedAt - 50))
    })
  })
}
