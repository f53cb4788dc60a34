import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN, cli, tempDir } from './helpers.ts'

const run = promisify(execFile)
const bin = fileURLToPath(new URL('../../bin/okta-elt.js', import.meta.url))

let tmp: ReturnType<typeof tempDir>
beforeAll(() => {
  tmp = tempDir()
})
afterAll(() => tmp.cleanup())

/** One line on stderr, prefixed, no stack frames. */
function expectOneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^okta-elt: /)
  expect(stderr).not.toMatch(/\n\s+at /)
  return lines[0]!
}

describe('okta-elt command line (in-process)', () => {
  it.each(['run', 'status', 'backfill', 'simulate', 'demo'])('%s --help prints usage on stdout and exits 0', async (command) => {
    const r = await cli([command, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`Usage: okta-elt ${command}`)
    expect(r.stderr).toBe('')
  })

  it('documents every flag of the contract in --help', async () => {
    expect((await cli(['run', '--help'])).stdout).toMatch(/--destination <url>[\s\S]*--resources <list>[\s\S]*--full-refresh[\s\S]*--json/)
    expect((await cli(['backfill', '--help'])).stdout).toMatch(/--to <url>[\s\S]*--from <url>/)
    expect((await cli(['simulate', '--help'])).stdout).toMatch(/--port[\s\S]*--host[\s\S]*--users[\s\S]*--seed[\s\S]*--token[\s\S]*--rate-limit /)
    const top = await cli(['--help'])
    expect(top.stdout).toMatch(/--config <file>[\s\S]*--verbose/)
    expect(top.stdout).toContain('Exit codes: 0 success, 1 the run failed, 2 usage or configuration error')
  })

  it.each([
    [['run', '--bogus'], "unknown option '--bogus'"],
    [['run', '--resources', 'users,userz'], 'unknown resource "userz"'],
    [['run', '--destination'], "option '-d, --destination <url>' argument missing"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['rnu'], 'Did you mean run?'],
    [['backfill'], "required option '--to <url>' not specified"],
    [['simulate', '--port', 'http'], 'expected a port number'],
    [['simulate', '--rate-limit', 'users=fast'], 'expected bucket=N'],
    [['simulate', '--rate-limit', 'nosuch=5'], 'unknown bucket "nosuch"'],
    [['status', '--loads', '0'], 'expected a positive integer'],
  ])('%j is a usage error: exit 2, one line', async (argv, message) => {
    const r = await cli(argv)
    expect(r.code).toBe(2)
    expect(expectOneLine(r.stderr)).toContain(message)
    expect(r.stdout).toBe('')
  })

  it('prints the help as a usage error when no command is given', async () => {
    const r = await cli([])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('Usage: okta-elt')
  })

  it('turns config errors into one line with exit 2', async () => {
    const path = tmp.write('bad.json', { okta: { orgUrl: 'https://example.okta.com', rateLimtShare: 1 }, destination: 'sqlite:x.db' })
    const r = await cli(['run', '--config', path], { env: { OKTA_API_TOKEN: TOKEN } })
    expect(r.code).toBe(2)
    expect(expectOneLine(r.stderr)).toBe(`okta-elt: config ${path}:4:5: unknown key "okta.rateLimtShare" (did you mean "rateLimitShare"?)`)
  })

  it('names the missing token variable and exits 2 before touching anything', async () => {
    const path = tmp.write('ok.json', { okta: { orgUrl: 'https://example.okta.com', auth: { type: 'ssws', tokenEnv: 'NIGHTLY_TOKEN' } }, destination: `sqlite:${tmp.dir}/never.db` })
    const r = await cli(['run', '-c', path], { env: {} })
    expect(r.code).toBe(2)
    expect(expectOneLine(r.stderr)).toContain('NIGHTLY_TOKEN is not set')
  })

  it('status and backfill validate their destinations before connecting', async () => {
    const status = await cli(['status', '--destination', 'mysql://root:pw-secret-1@db/x'], { cwd: tmp.dir })
    expect(status.code).toBe(2)
    const line = expectOneLine(status.stderr)
    expect(line).toContain('--destination: unsupported destination')
    expect(line).not.toContain('pw-secret-1')
    const missing = await cli(['status', '--destination', `sqlite:${tmp.dir}/absent.db`], { cwd: tmp.dir })
    expect(missing.code).toBe(2)
    expect(expectOneLine(missing.stderr)).toContain('no such database yet')
    const same = await cli(['backfill', '--to', 'sqlite:a.db', '--from', 'sqlite:a.db'], { cwd: tmp.dir })
    expect(same.code).toBe(2)
    expect(expectOneLine(same.stderr)).toContain('--from and --to name the same destination')
  })
})

describe('--help shows every default', () => {
  // Options without a default: help/version, and the one required option.
  const NO_DEFAULT = new Set(['-h, --help', '-V, --version', '--to <url>'])

  /** Each option of a help text with its whole (wrapped) description. */
  function options(help: string): [string, string][] {
    const out: [string, string][] = []
    const section = help.slice(help.indexOf('Options:\n') + 'Options:\n'.length).split(/\n\S/)[0]!
    for (const line of section.split('\n')) {
      const m = /^ {2}(-\S.*?)(?: {2,}(.*))?$/.exec(line)
      if (m !== null) out.push([m[1]!.trim(), m[2] ?? ''])
      else if (out.length > 0) out[out.length - 1]![1] += ` ${line.trim()}`
    }
    return out
  }

  it.for(['', 'run', 'status', 'check', 'backfill', 'simulate', 'demo'])('okta-elt %s --help', async (command) => {
    const r = await cli([...(command === '' ? [] : [command]), '--help'])
    expect(r.code).toBe(0)
    const opts = options(r.stdout)
    expect(opts.length).toBeGreaterThan(1)
    for (const [flags, description] of opts) {
      if (NO_DEFAULT.has(flags)) continue
      expect(description, `${command} ${flags}`).toMatch(/\(default: [^)]+\)/)
    }
  })
})

describe('okta-elt binary (subprocess)', () => {
  it('--help exits 0 with the command list', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help'])
    for (const c of ['run', 'status', 'backfill', 'simulate', 'demo']) expect(stdout).toMatch(new RegExp(`^  ${c} `, 'm'))
  })

  it('a config error exits 2 with one line and no stack, even with the token in the environment', async () => {
    const path = tmp.write('typo.json', { okta: { orgUrl: 'https://example.okta.com', auth: { type: 'ssws', tokenEnv: 42 } }, destination: 'sqlite:x.db' })
    const err = await run(process.execPath, [bin, 'run', '--config', path], { env: { ...process.env, OKTA_API_TOKEN: TOKEN } }).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
    expect(err).not.toBeNull()
    expect(err!.code).toBe(2)
    expect(expectOneLine(err!.stderr)).toBe(`okta-elt: config ${path}:6:19: okta.auth.tokenEnv: expected string, got number`)
    expect(err!.stdout).toBe('')
    expect(err!.stderr + err!.stdout).not.toContain(TOKEN)
  })

  it('--verbose adds the stack trace after the one-line message', async () => {
    const err = await run(process.execPath, [bin, 'run', '--verbose', '--config', `${tmp.dir}/nope.json`]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    )
    expect(err!.code).toBe(2)
    const [first, ...rest] = err!.stderr.split('\n')
    expect(first).toBe(`okta-elt: config ${tmp.dir}/nope.json: no such file`)
    expect(rest.join('\n')).toMatch(/\n?\s+at /)
  })
})
