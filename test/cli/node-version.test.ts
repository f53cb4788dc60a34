import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.ts'

/**
 * A machine whose own `node` is older than the code needs (these machines ship Node 20): the bin
 * must say so in one line, and everything started through npm must run on the bundled Node 24.
 * The old Node is the machine's (`/usr/bin/node`), or `OKTA_ELT_TEST_OLD_NODE`.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const BIN = join(ROOT, 'bin/okta-elt.js')
const BUNDLED = join(ROOT, 'node_modules/.bin/node')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

function oldNode(): string | undefined {
  for (const candidate of [process.env.OKTA_ELT_TEST_OLD_NODE, '/usr/bin/node', '/usr/local/bin/node']) {
    if (candidate === undefined || candidate === '' || !existsSync(candidate)) continue
    const [major, minor] = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number)
    if (major! < 22 || (major === 22 && minor! < 22)) return candidate
  }
  return undefined
}
const OLD_NODE = oldNode()

/** PATH as on such a machine: the old node's directory and the system's, nothing of the test runner's Node 24. */
const oldPath = () => [dirname(OLD_NODE!), '/usr/bin', '/bin'].join(':')

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { HOME: process.env.HOME ?? cwd, ...env }, timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe.skipIf(OLD_NODE === undefined)('on a machine whose node is older than 22.22', () => {
  it('`node bin/okta-elt.js` prints one line naming the requirement and the bundled Node, and exits 2', () => {
    const r = run(OLD_NODE!, [BIN, 'run'], ROOT)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.split('\n').filter((l) => l !== '')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^okta-elt: needs Node\.js >= 22\.22 \(24 LTS recommended\), this is v\d+\.\d+\.\d+ at /)
    expect(lines[0]).toContain(`${BUNDLED} ${BIN}`)
    expect(r.stderr).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /)
  })

  it('without the bundled Node, the one line says to run npm install', () => {
    const dir = tempDir()
    try {
      cpSync(join(ROOT, 'bin'), join(dir.dir, 'bin'), { recursive: true })
      cpSync(join(ROOT, 'package.json'), join(dir.dir, 'package.json'))
      const r = run(OLD_NODE!, ['bin/okta-elt.js', '--version'], dir.dir)
      expect(r.code).toBe(2)
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^okta-elt: needs Node\.js >= 22\.22 .*; run `npm install` in \S+ \(it installs Node 24 into node_modules\), or install Node\.js 24 LTS$/)])
    } finally {
      dir.cleanup()
    }
  })

  it('npm scripts and `npx okta-elt` run on the bundled Node 24', () => {
    // npm itself runs on the old node; it puts node_modules/.bin (where the `node` package links
    // its binary) first on PATH for what it starts.
    const env = { PATH: oldPath() }
    expect(run('npm', ['exec', '--offline', '--', 'node', '-p', 'process.version'], ROOT, env).stdout.trim()).toMatch(/^v24\./)
    const npx = run('npm', ['exec', '--offline', '--', 'okta-elt', '--version'], ROOT, env)
    expect(npx.stderr).toBe('')
    expect({ code: npx.code, stdout: npx.stdout.trim() }).toEqual({ code: 0, stdout: VERSION })
  })
})

describe('the bundled Node', () => {
  it('is Node 24, linked where npm looks for bins, and runs the CLI directly', () => {
    expect(execFileSync(join(ROOT, 'node_modules/.bin/node'), ['-v'], { encoding: 'utf8' })).toMatch(/^v24\./)
    const r = run(BUNDLED, [BIN, '--version'], ROOT, { PATH: '/usr/bin:/bin' })
    expect({ code: r.code, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({ code: 0, stdout: VERSION, stderr: '' })
  })

  it('package.json: `node` is an optional dependency whose install script is approved; the npm scripts call plain `node`', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      optionalDependencies?: Record<string, string>
      allowScripts?: Record<string, boolean>
      scripts: Record<string, string>
      engines?: unknown
    }
    expect(pkg.optionalDependencies?.node).toMatch(/^\^24\./)
    expect(pkg.allowScripts?.node).toBe(true)
    // npm checks `engines` against the Node that runs npm, not the one that runs our code: it would
    // warn on every `npm start` on exactly the machines the bundled Node is for.
    expect(pkg.engines).toBeUndefined()
    for (const [name, script] of Object.entries(pkg.scripts)) expect(script, name).not.toMatch(/\/node\b|\bnodejs\b/)
  })
})
