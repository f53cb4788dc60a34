/**
 * Bad configuration, as a cron job would hit it (the real binary, a subprocess): exit 2 and ONE
 * line on stderr naming the problem, nothing on stdout, no stack trace, before anything runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { postgresUrl } from '../helpers/postgres.ts'
import { runCliProcess, tempDir } from './helpers.ts'

let sim: Simulator
let tmp: ReturnType<typeof tempDir>
const TOKEN = 'config-test-token-9f8e7d6c5b4a'

beforeAll(async () => {
  sim = await startSimulator({ seed: 51, token: TOKEN, size: { users: 10, groups: 2, apps: 1, logEvents: 5, logDays: 1 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

interface Case {
  name: string
  /** An object (written as indented JSON) or the file's exact text. */
  config: (orgUrl: string, dir: string) => object | string
  env?: Record<string, string>
  /** What the one line must say. */
  line: RegExp
}

const CASES: Case[] = [
  {
    name: 'an unknown key',
    config: (orgUrl, dir) => ({ okta: { orgUrl }, destination: `sqlite:${dir}/a.db`, lockWaitSecs: 5 }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: unknown key "lockWaitSecs"/,
  },
  {
    name: 'an unknown nested key',
    config: (orgUrl, dir) => ({ okta: { orgUrl, maxInflight: 2 }, destination: `sqlite:${dir}/a.db` }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: .*okta\.maxInflight/,
  },
  {
    name: 'a wrong type',
    config: (orgUrl, dir) => ({ okta: { orgUrl, requestTimeoutMs: '30s' }, destination: `sqlite:${dir}/a.db` }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: .*okta\.requestTimeoutMs.*(number|expected)/i,
  },
  {
    name: 'a resource name that does not exist',
    config: (orgUrl, dir) => ({ okta: { orgUrl }, destination: `sqlite:${dir}/a.db`, resources: ['users', 'admins'] }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: .*resources/,
  },
  {
    name: 'an http org URL that is not loopback',
    config: (_orgUrl, dir) => ({ okta: { orgUrl: 'http://acme.okta.com' }, destination: `sqlite:${dir}/a.db` }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: okta\.orgUrl: must use https/,
  },
  {
    name: 'an org URL that is not a URL',
    config: (_orgUrl, dir) => ({ okta: { orgUrl: 'acme.okta.com' }, destination: `sqlite:${dir}/a.db` }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: okta\.orgUrl: expected a URL/,
  },
  {
    name: 'an unreachable SQLite destination (no such directory)',
    config: (orgUrl) => ({ okta: { orgUrl }, destination: 'sqlite:/nonexistent-dir/sub/okta.db' }),
    line: /^okta-elt: cannot reach destination sqlite:\/nonexistent-dir\/sub\/okta\.db/,
  },
  {
    name: 'an unreachable Postgres destination (nothing listening), password never shown',
    config: (orgUrl) => ({ okta: { orgUrl }, destination: 'postgres://okta:s3cret-pw-123@127.0.0.1:1/okta' }),
    line: /^okta-elt: cannot reach destination postgres:\/\/okta(:\*+)?@127\.0\.0\.1:1\/okta.*ECONNREFUSED/,
  },
  {
    name: 'a destination URL with an unknown scheme',
    config: (orgUrl) => ({ okta: { orgUrl }, destination: 'mysql://db/okta' }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: destination: .*(sqlite|postgres)/i,
  },
  {
    name: 'the token variable not set',
    config: (orgUrl, dir) => ({ okta: { orgUrl }, destination: `sqlite:${dir}/a.db` }),
    env: {},
    line: /^okta-elt: missing Okta API token: environment variable OKTA_API_TOKEN is not set$/,
  },
  {
    name: 'the token variable named by tokenEnv not set',
    config: (orgUrl, dir) => ({ okta: { orgUrl, auth: { type: 'ssws', tokenEnv: 'ACME_OKTA_TOKEN' } }, destination: `sqlite:${dir}/a.db` }),
    env: {},
    line: /^okta-elt: missing Okta API token: environment variable ACME_OKTA_TOKEN is not set \(named by okta\.auth\.tokenEnv\)$/,
  },
  {
    name: 'a literal token in the file (value never echoed)',
    config: (orgUrl, dir) => ({ okta: { orgUrl, auth: { type: 'ssws', token: 'literal-token-in-file-123456' } }, destination: `sqlite:${dir}/a.db` }),
    line: /^okta-elt: config \S+\.json:\d+:\d+: okta\.auth\.token: secrets are never read from the config file/,
  },
  {
    name: 'the OAuth private key variable not set',
    config: (orgUrl, dir) => ({ okta: { orgUrl, auth: { type: 'oauth', clientId: '0oa1' } }, destination: `sqlite:${dir}/a.db` }),
    env: {},
    line: /^okta-elt: missing OAuth private key: environment variable OKTA_PRIVATE_KEY is not set$/,
  },
  // Key names that are also Object.prototype members: the ordinary unknown-key line, never a prototype's value.
  ...['constructor', '__proto__', 'toString'].flatMap((key): Case[] => [
    {
      name: `a top-level key named ${key}`,
      config: (orgUrl, dir) => `{\n  "okta": { "orgUrl": "${orgUrl}" },\n  "destination": "sqlite:${dir}/a.db",\n  "${key}": 1\n}\n`,
      line: new RegExp(`^okta-elt: config \\S+\\.json:4:3: unknown key "${key}"$`),
    },
    {
      name: `a key named ${key} in okta.auth`,
      config: (orgUrl, dir) => ({ okta: { orgUrl, auth: { type: 'ssws', [key]: 'x' } }, destination: `sqlite:${dir}/a.db` }),
      line: new RegExp(`^okta-elt: config \\S+\\.json:\\d+:\\d+: unknown key "okta\\.auth\\.${key}"$`),
    },
  ]),
  {
    name: 'a typo, with the line and column of the key',
    config: (orgUrl, dir) => `{\n  "okta": {\n    "orgUrl": "${orgUrl}",\n    "rateLimtShare": 0.5\n  },\n  "destination": "sqlite:${dir}/a.db"\n}\n`,
    line: /^okta-elt: config \/\S+\.json:4:5: unknown key "okta\.rateLimtShare" \(did you mean "rateLimitShare"\?\)$/,
  },
  {
    name: 'invalid JSON (a trailing comma), with its line and column',
    config: (orgUrl, dir) => `{\n  "okta": { "orgUrl": "${orgUrl}" },\n  "destination": "sqlite:${dir}/a.db",\n}\n`,
    line: /^okta-elt: config \/\S+\.json:4:1: not valid JSON: expected a key in double quotes \(a trailing comma\?\)$/,
  },
  {
    name: 'a bad value in a file that starts with a UTF-8 BOM (the BOM is accepted)',
    config: (_orgUrl, dir) => `\uFEFF{\n  "okta": { "orgUrl": "http://acme.okta.com" },\n  "destination": "sqlite:${dir}/a.db"\n}\n`,
    line: /^okta-elt: config \/\S+\.json:2:23: okta\.orgUrl: must use https/,
  },
]

describe('configuration errors (subprocess)', () => {
  it.concurrent.for(CASES)('$name → exit 2, one line naming it', async (c, { expect }) => {
    const file = tmp.write(`${c.name.replace(/\W+/g, '-')}.json`, c.config(sim.url, tmp.dir))
    const exit = await runCliProcess(['--config', file, 'run'], { env: c.env ?? { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
    expect(exit.code, exit.stderr).toBe(2)
    expect(exit.stdout).toBe('')
    const lines = exit.stderr.trimEnd().split('\n')
    expect(lines, exit.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(c.line)
    // A problem in the file names it by its resolved absolute path.
    if (lines[0]!.startsWith('okta-elt: config ')) expect(lines[0]).toContain(`config ${file}`)
    expect(lines[0]).not.toMatch(/native code|\[object Object\]/)
    expect(exit.stderr).not.toMatch(/\bat .*\.ts:\d+|Error:/)
    for (const secret of [TOKEN, 's3cret-pw-123', 'literal-token-in-file-123456']) expect(exit.stderr).not.toContain(secret)
  })

  it('a config file that starts with a UTF-8 BOM runs', async () => {
    const text = `\uFEFF${JSON.stringify({ okta: { orgUrl: sim.url }, destination: `sqlite:${tmp.dir}/bom.db`, resources: ['users'] }, null, 2)}`
    const file = tmp.write('bom.json', text)
    const exit = await runCliProcess(['--config', file, 'run', '--json'], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
    expect(exit.code, exit.stderr).toBe(0)
    expect((JSON.parse(exit.stdout) as { status: string }).status).toBe('succeeded')
  })

  it('the same problems with --verbose still name the cause first (then the stack)', async () => {
    const file = tmp.write('verbose.json', { okta: { orgUrl: 'http://acme.okta.com' }, destination: `sqlite:${tmp.dir}/v.db` })
    const exit = await runCliProcess(['--verbose', '--config', file, 'run'], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
    expect(exit.code).toBe(2)
    expect(exit.stderr.split('\n')[0]).toMatch(/^okta-elt: config \S+\.json:\d+:\d+: okta\.orgUrl: must use https/)
    expect(exit.stderr).not.toContain(TOKEN)
  })

  it.runIf(postgresUrl() !== null)('a Postgres destination that refuses the login → exit 2, one line', async () => {
    const u = new URL(postgresUrl()!)
    u.username = 'no_such_role_okta_elt'
    u.password = 'pw-never-shown-42'
    const file = tmp.write('pg-auth.json', { okta: { orgUrl: sim.url }, destination: u.toString() })
    const exit = await runCliProcess(['--config', file, 'run'], { env: { OKTA_API_TOKEN: TOKEN }, cwd: tmp.dir })
    expect(exit.code, exit.stderr).toBe(2)
    const lines = exit.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^okta-elt: cannot reach destination .*no_such_role_okta_elt/)
    expect(exit.stderr).not.toContain('pw-never-shown-42')
  })
})
