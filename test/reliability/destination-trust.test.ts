/**
 * Destinations the pipeline must not trust blindly (issue 13 §2-§4, issue 14 "status is
 * read-only"): URLs that would keep nothing or be misread, a file that disappears under a run, a
 * destination that refuses writes, a least-privilege Postgres role, and `status` never writing.
 * The CLI runs as a real subprocess, against the simulator and real SQLite files / Postgres.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { postgresUrl } from '../helpers/postgres.ts'
import { runCliProcess, startCli, tempDir } from './helpers.ts'

const TOKEN = 'desttrust-token-0a1b2c3d4e5f'
let sim: Simulator
let tmp: ReturnType<typeof tempDir>

beforeAll(async () => {
  sim = await startSimulator({ seed: 131, token: TOKEN, size: { users: 30, groups: 3, apps: 2, logEvents: 20, logDays: 2 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

/** Exit code and the one stderr line of `okta-elt run` against `destination`. */
async function runOnce(destination: string, extraEnv: Record<string, string> = {}) {
  const exit = await runCliProcess(['run', '--destination', destination], {
    env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: sim.url, ...extraEnv },
    cwd: tmp.dir,
  })
  return { ...exit, lines: exit.stderr.trimEnd().split('\n') }
}

describe('destination URLs that would keep nothing or be misread (exit 2, one line, nothing created)', () => {
  const cases: { url: (dir: string) => string; line: RegExp }[] = [
    { url: () => 'sqlite::memory:', line: /sqlite::memory: keeps nothing/ },
    { url: () => 'sqlite://:memory:', line: /keeps nothing/ },
    { url: () => 'sqlite::memory:?cache=shared', line: /keeps nothing/ },
    { url: () => 'sqlite:  ', line: /needs a path/ },
    { url: (dir) => `sqlite:${dir}/q.db?mode=ro`, line: /unknown parameter "mode".*no query parameters/ },
    { url: (dir) => `sqlite:${dir}/q2.db?mode=ro&cache=shared`, line: /unknown parameters "mode", "cache"/ },
    { url: () => `${postgresUrl() ?? 'postgres://u@127.0.0.1/db'}?schema=pg_catalog`, line: /\?schema=pg_catalog is a Postgres system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=information_schema', line: /information_schema is a Postgres system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=pg_toast', line: /system schema/ },
    { url: () => 'postgres://u@127.0.0.1/db?schema=pg_mine', line: /system schema/ },
  ]
  it.concurrent.for(cases)('$line', async (c, { expect }) => {
    const before = readdirSync(tmp.dir)
    const exit = await runOnce(c.url(tmp.dir))
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.lines, exit.stderr).toHaveLength(1)
    expect(exit.lines[0]).toMatch(/^okta-elt: --destination: /)
    expect(exit.lines[0]).toMatch(c.line)
    expect(readdirSync(tmp.dir)).toEqual(before)
  })

  it('a plain file path still works and creates only the file (+ WAL side files and lock)', async () => {
    const exit = await runOnce(`sqlite:${tmp.dir}/plain.db`)
    expect(exit.code, exit.stderr).toBe(0)
    expect(existsSync(`${tmp.dir}/plain.db`)).toBe(true)
  })
})

describe('a SQLite file that goes away mid-run is never reported as loaded', () => {
  /** Starts a run whose first users commit holds its transaction open, and acts on the file then. */
  async function runAndMeddle(name: string, meddle: (dir: string, file: string) => void) {
    const dir = join(tmp.dir, name)
    mkdirSync(dir)
    const file = join(dir, 'okta.db')
    const run = startCli(['run', '--destination', `sqlite:${file}`], {
      env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: sim.url, OKTA_ELT_TEST_KILL_AT: 'users:1:stall:1500' },
      cwd: tmp.dir,
    })
    expect(await run.waitFor((l) => l.includes('holding the users batch 1 transaction open'))).not.toBeNull()
    meddle(dir, file)
    const exit = await run.done
    return { ...exit, last: exit.stderr.trimEnd().split('\n').at(-1) ?? '' }
  }

  it('its directory deleted: exit 1, the line names the file and says it is gone', async () => {
    const exit = await runAndMeddle('deleted', (dir) => rmSync(dir, { recursive: true, force: true }))
    expect(exit.code, exit.stderr).toBe(1)
    expect(exit.last).toMatch(/^okta-elt: run failed: users: sqlite:\S+deleted\/okta\.db is gone: the file was deleted \(or its directory removed\) during the run/)
    expect(exit.stdout).not.toMatch(/succeeded/)
  })

  it('the file replaced by another one: exit 1, "replaced"', async () => {
    const exit = await runAndMeddle('replaced', (_dir, file) => {
      renameSync(file, `${file}.moved`)
      writeFileSync(file, '')
    })
    expect(exit.code, exit.stderr).toBe(1)
    expect(exit.last).toMatch(/^okta-elt: run failed: users: sqlite:\S+okta\.db was replaced during the run/)
  })
})
