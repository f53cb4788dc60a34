/**
 * `npm start` (= `okta-elt demo`) as a newcomer runs it, twice: the first run loads a simulated
 * org into ./okta-demo.db and prints example SQL with results; the second is an incremental run.
 */
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { count } from '../helpers/query.ts'
import { expectExit, okta, workdir, type Workdir } from './helpers.ts'
import { RESOURCE_NAMES } from '../../src/resources/types.ts'

/** The rows column of the summary table, per resource. */
function summaryRows(stdout: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of stdout.matchAll(/^ {2}([a-z_]+) +succeeded +([\d,]+) /gm)) {
    out[m[1]!] = Number(m[2]!.replaceAll(',', ''))
  }
  return out
}

function totalRequests(stdout: string): number {
  const m = /^Requests: ([\d,]+) total/m.exec(stdout)
  if (m === null) throw new Error(`no request line in:\n${stdout}`)
  return Number(m[1]!.replaceAll(',', ''))
}

describe('okta-elt demo, twice', () => {
  let work: Workdir
  beforeAll(() => {
    work = workdir()
  })
  afterAll(() => work.cleanup())

  let first = ''

  it('first run loads the simulated org into ./okta-demo.db and prints example queries with results', async () => {
    // No config, no token: the zero-credentials first experience.
    const result = await okta(['demo', '--users', '300'], { cwd: work.dir })
    expectExit(result, 0)
    // Off a terminal the summary is not buried under progress lines: a clean demo prints nothing on stderr.
    expect(result.stderr).toBe('')
    first = result.stdout
    expect(existsSync(work.path('okta-demo.db'))).toBe(true)
    expect(first).toMatch(/^okta-elt demo \(simulated org at http:\/\/127\.0\.0\.1:\d+\): succeeded/)
    const rows = summaryRows(first)
    expect(Object.keys(rows)).toEqual([...RESOURCE_NAMES])
    expect(rows['users']).toBe(300)
    const url = `sqlite:${work.path('okta-demo.db')}`
    expect(await count(url, 'users')).toBe(300)
    expect(await count(url, 'group_users')).toBe(rows['group_users'])
    expect(await count(url, 'system_log')).toBe(rows['system_log'])
    expect(first).toContain('Try some SQL (sqlite3 ./okta-demo.db)')
    // 3–6 queries, each followed by its result table; the access views among them.
    const queries = first.match(/^-- .+\nSELECT /gm) ?? []
    expect(queries.length).toBeGreaterThanOrEqual(3)
    expect(queries.length).toBeLessThanOrEqual(6)
    expect(first).toMatch(/^ {3}app +users +via_groups\n {3}\S.* +\d+ +\d+/m)
    expect(first).toMatch(/^ {3}role_type +assignment_type +users$/m)
    expect(first).toMatch(/^ {3}SUPER_ADMIN +USER +1$/m)
    expect(first).toMatch(/^ {3}status +users +deleted\n {3}ACTIVE +\d+/m)
    expect(first).toContain('Run `npm start` again for an incremental run')
  })

  it('second run against the same file is incremental and prints the queries again', async () => {
    const result = await okta(['demo', '--users', '300', '--db', work.path('okta-demo.db')], { cwd: work.dir })
    expectExit(result, 0)
    const second = result.stdout
    const before = summaryRows(first)
    const after = summaryRows(second)
    // A simulated day: a handful of users and apps, not the org.
    expect(after['users']).toBeGreaterThan(0)
    expect(after['users']).toBeLessThan(before['users']! / 5)
    expect(after['apps']).toBeLessThan(before['apps']!)
    expect(after['apps_assigned']).toBeLessThan(before['apps_assigned']!)
    expect(after['system_log']).toBeLessThan(before['system_log']! / 5)
    expect(totalRequests(second)).toBeLessThan(totalRequests(first))
    expect(second).toContain('Schema changes: none')
    expect((second.match(/^-- .+\nSELECT /gm) ?? []).length).toBe((first.match(/^-- .+\nSELECT /gm) ?? []).length)
    // Joiners add users; nothing vanishes (deletes are marked).
    expect(await count(`sqlite:${work.path('okta-demo.db')}`, 'users')).toBeGreaterThanOrEqual(300)
  })
})
