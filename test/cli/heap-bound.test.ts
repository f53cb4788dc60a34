import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKFILL_SEMI_SPACE_MB, boundedRelaunch, commandOf, MALLOC_ENV, OLD_SPACE_MB, RELAUNCHED, SEMI_SPACE_MB, SIZE_FLAG } from '../../bin/heap-bound.js'
import { tempDir } from './helpers.ts'

const BIN = resolve(import.meta.dirname, '../../bin/okta-elt.js')
type Relaunch = ReturnType<typeof boundedRelaunch>
const relaunch = (argv: string[], env: Record<string, string> = {}, execArgv: string[] = []): Relaunch => boundedRelaunch({ argv, execArgv, env })

describe('the loading commands run with a bounded heap (bin/heap-bound.js)', () => {
  it('finds the command after the global options', () => {
    expect(commandOf(['run'])).toBe('run')
    expect(commandOf(['-c', 'acme.json', '-v', 'run', '--json'])).toBe('run')
    expect(commandOf(['--config=acme.json', 'backfill', '--to', 'x'])).toBe('backfill')
    expect(commandOf(['--config', 'run', 'status'])).toBe('status')
    expect(commandOf(['--help'])).toBeUndefined()
  })

  it('relaunches run and backfill with the V8 flags and the malloc settings, nothing else', () => {
    expect(relaunch(['-c', 'a.json', 'run'], { PATH: '/bin' })).toEqual({
      args: [`--max-semi-space-size=${SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`, SIZE_FLAG],
      env: { PATH: '/bin', ...MALLOC_ENV, [RELAUNCHED]: '1' },
    })
    // A copy moves every row through the young generation: a bigger semi-space, and no SIZE_FLAG,
    // which would hold it at 1 MB.
    for (const from of [['--from', 'duckdb:a.duckdb'], ['--from=duckdb:a.duckdb']]) {
      expect(relaunch(['-c', 'a.json', 'backfill', ...from, '--to', 'sqlite:x.db'], { PATH: '/bin' })).toEqual({
        args: [`--max-semi-space-size=${BACKFILL_SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`],
        env: { PATH: '/bin', ...MALLOC_ENV, [RELAUNCHED]: '1' },
      })
    }
    expect(BACKFILL_SEMI_SPACE_MB).toBeGreaterThan(SEMI_SPACE_MB)
    const copy = ['backfill', '--from', 'sqlite:a.db', '--to', 'sqlite:b.db']
    expect(relaunch(copy, {}, ['--max-semi-space-size=2'])!.args).toEqual(['--max-semi-space-size=2', `--max-old-space-size=${OLD_SPACE_MB}`])
    expect(relaunch(copy, {}, [SIZE_FLAG])!.args).toEqual([SIZE_FLAG, `--max-semi-space-size=${BACKFILL_SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`])
    // Without --from a backfill is a full extraction from Okta: a run's memory, a run's flags.
    expect(relaunch(['backfill', '--to', 'sqlite:x.db'])!.args).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`, SIZE_FLAG])
    for (const cmd of ['status', 'check', 'demo', 'simulate', '--version']) expect(relaunch([cmd])).toBeNull()
    expect(relaunch(['run'], { [RELAUNCHED]: '1' })).toBeNull()
  })

  it('OKTA_ELT_HEAP_MB sets the old generation, 0 lifts the bound; the user’s own flags and MALLOC_ARENA_MAX are kept', () => {
    expect(relaunch(['run'], { OKTA_ELT_HEAP_MB: '1024' })!.args).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`, '--max-old-space-size=1024', SIZE_FLAG])
    expect(relaunch(['run'], { OKTA_ELT_HEAP_MB: '0' })).toBeNull()
    expect(relaunch(['run'], { NODE_OPTIONS: '--max-old-space-size=900' })!.args).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`, SIZE_FLAG])
    expect(relaunch(['run'], {}, ['--max-semi-space-size=8', '--inspect'])!.args).toEqual(['--max-semi-space-size=8', '--inspect', `--max-old-space-size=${OLD_SPACE_MB}`, SIZE_FLAG])
    expect(relaunch(['run'], {}, ['--no-optimize-for-size'])!.args).toEqual(['--no-optimize-for-size', `--max-semi-space-size=${SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`])
    expect(relaunch(['run'], { MALLOC_ARENA_MAX: '8' })!.env).toMatchObject({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: MALLOC_ENV.MALLOC_MMAP_THRESHOLD_ })
    expect(relaunch(['run'], { ...MALLOC_ENV }, [SIZE_FLAG, '--max-heap-size=300'])).toBeNull()
  })
})

/** An org that accepts connections and never answers: a run waits on its first request until signalled. */
let hang: Server
let orgUrl: string
beforeAll(async () => {
  hang = createServer(() => undefined)
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r))
  orgUrl = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`
})
afterAll(async () => {
  hang.closeAllConnections()
  await new Promise((r) => hang.close(r))
})

describe.skipIf(process.platform !== 'linux')('okta-elt run as a process', () => {
  async function runUntilRequest(env: Record<string, string> = {}) {
    const dir = tempDir()
    const config = join(dir.dir, 'pipeline.config.json')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(config, JSON.stringify({ okta: { orgUrl, auth: { type: 'ssws', tokenEnv: 'OKTA_API_TOKEN' } }, destination: `sqlite:${join(dir.dir, 'o.db')}`, resources: ['users'] }))
    const requested = new Promise<void>((r) => hang.once('request', () => r()))
    const child = spawn(process.execPath, [BIN, 'run', '--config', config], { cwd: dir.dir, env: { PATH: process.env.PATH ?? '', HOME: dir.dir, OKTA_API_TOKEN: 'x', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c))
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    await requested
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')
    child.kill('SIGTERM')
    const code = await exited
    dir.cleanup()
    return { cmdline, environ, code, stderr }
  }

  it('is the same process relaunched in place with the bound (no wrapper): SIGTERM stops it cleanly, exit 130', async () => {
    const r = await runUntilRequest()
    expect(r.cmdline.slice(1, 4)).toEqual([`--max-semi-space-size=${SEMI_SPACE_MB}`, `--max-old-space-size=${OLD_SPACE_MB}`, SIZE_FLAG])
    for (const [name, value] of Object.entries(MALLOC_ENV)) expect(r.environ).toContain(`${name}=${value}`)
    expect(r.code).toBe(130)
  }, 30_000)

  it('OKTA_ELT_HEAP_MB=0 runs as started', async () => {
    const r = await runUntilRequest({ OKTA_ELT_HEAP_MB: '0' })
    expect(r.cmdline[1]).toBe(BIN)
    expect(r.environ.some((e) => e.startsWith('MALLOC_ARENA_MAX='))).toBe(false)
    expect(r.code).toBe(130)
  }, 30_000)
})
