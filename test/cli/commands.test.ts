import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulateCommand } from '../../src/cli/commands/simulate.ts'
import { BufferOutput, type CliIo } from '../../src/cli/io.ts'
import { runCli } from '../../src/cli/program.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import type { RunSummary } from '../../src/pipeline/types.ts'
import { dropSchema, postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { tempDir } from './helpers.ts'
import { DEFAULT_RESOURCES } from '../../src/resources/types.ts'

/**
 * The commands against the real simulator and a real SQLite file, in-process (the subprocess
 * end-to-end suite lives with the pipeline tests).
 */
let sim: Simulator
let tmp: ReturnType<typeof tempDir>
const SIM_TOKEN = 'cli-test-token-0123456789abcdef'

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, token: SIM_TOKEN, size: { users: 60, groups: 6, apps: 4, logEvents: 80, logDays: 3 } })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

function io(env: Record<string, string>, extra: Partial<CliIo> = {}): CliIo & { out: BufferOutput; err: BufferOutput } {
  const out = new BufferOutput()
  const err = new BufferOutput()
  return { stdout: out, stderr: err, out, err, env, isTTY: false, cwd: tmp.dir, ...extra }
}

describe('run and status against the simulator', () => {
  it('run --json loads every resource, logs JSON lines, never shows the token', async () => {
    const db = `sqlite:${tmp.dir}/okta.db`
    const x = io({ OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: SIM_TOKEN, OKTA_ELT_DESTINATION: db })
    const code = await runCli(['run', '--json'], x)
    expect(x.err.text).not.toContain(SIM_TOKEN)
    expect(x.out.text).not.toContain(SIM_TOKEN)
    expect(code, x.err.text).toBe(0)
    const summary = JSON.parse(x.out.text) as RunSummary
    expect(summary.status).toBe('succeeded')
    expect(summary.resources.map((r) => r.resource)).toEqual([...DEFAULT_RESOURCES])
    expect(summary.resources.find((r) => r.resource === 'users')?.rows).toBeGreaterThanOrEqual(60)
    const events = x.err.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; level: string })
    expect(events.some((e) => e.event === 'progress')).toBe(true)

    const st = io({})
    expect(await runCli(['status', '--json', '--destination', db], st), st.err.text).toBe(0)
    const report = JSON.parse(st.out.text) as { resources: { resource: string; rows: number; lastSuccess: unknown }[]; loads: unknown[] }
    const users = report.resources.find((r) => r.resource === 'users')!
    expect(users.rows).toBeGreaterThanOrEqual(60)
    expect(users.lastSuccess).not.toBeNull()
    expect(report.loads.length).toBeGreaterThan(0)

    const human = io({})
    expect(await runCli(['status', '--destination', db], human)).toBe(0)
    expect(human.out.text).toMatch(/users\s+\d+/)
    expect(human.out.text).toContain('Recent loads')
  })

  it('prints the human summary without --json', async () => {
    const x = io({ OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: SIM_TOKEN })
    const code = await runCli(['run', '--destination', `sqlite:${tmp.dir}/human.db`, '--resources', 'users,groups'], x)
    expect(code, x.err.text).toBe(0)
    expect(x.out.text).toMatch(/^okta-elt run succeeded/)
    expect(x.out.text).toMatch(/users\s+succeeded/)
    expect(x.out.text).toContain('Requests:')
    expect(x.out.text).not.toMatch(/group_users/)
  })

  it('an invalid token exits 2 with one line, the token nowhere', async () => {
    const bad = 'bad-token-0000000000000000000000'
    const x = io({ OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: bad })
    const code = await runCli(['run', '--destination', `sqlite:${tmp.dir}/bad.db`, '--resources', 'users'], x)
    expect(code).toBe(2)
    expect(x.err.text + x.out.text).not.toContain(bad)
    const lines = x.err.text.trimEnd().split('\n')
    const last = lines[lines.length - 1]!
    expect(last).toMatch(/^okta-elt: /)
    expect(last).toContain('E0000011')
  })

  it('SIGINT interrupts a run: exit 130', async () => {
    const slow = await startSimulator({ seed: 3, token: SIM_TOKEN, latencyMs: 40, size: { users: 3000 } })
    try {
      let fire: ((sig: 'SIGINT') => void) | undefined
      const x = io(
        { OKTA_ORG_URL: slow.url, OKTA_API_TOKEN: SIM_TOKEN },
        {
          onSignal: (h) => {
            fire = h
            return () => {
              fire = undefined
            }
          },
        },
      )
      const running = runCli(['run', '--destination', `sqlite:${tmp.dir}/int.db`, '--resources', 'users', '--json'], x)
      // Interrupt once the first batch has committed.
      for (let i = 0; i < 500 && !x.err.text.includes('"event":"progress"'); i++) await new Promise((r) => setTimeout(r, 10))
      expect(x.err.text).toContain('"event":"progress"')
      expect(fire).toBeDefined()
      fire!('SIGINT')
      expect(await running).toBe(130)
      expect((JSON.parse(x.out.text) as RunSummary).status).toBe('interrupted')
      expect(x.err.text).toContain('SIGINT')
    } finally {
      await slow.close()
    }
  })
})

describe('Postgres destination', () => {
  it('run then status, the password nowhere in the output', async (ctx) => {
    const base = postgresUrl()
    if (base === null) return ctx.skip()
    const schema = uniqueSchema('cli')
    // A password the server ignores (trust auth) still must never be printed.
    const u = new URL(withSchema(base, schema))
    if (u.password === '') u.password = 'pg-secret-pw-123'
    const url = u.toString()
    try {
      const x = io({ OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: SIM_TOKEN })
      expect(await runCli(['run', '--destination', url, '--resources', 'users,groups,group_users'], x), x.err.text).toBe(0)
      const st = io({})
      expect(await runCli(['status', '--destination', url], st), st.err.text).toBe(0)
      expect(st.out.text).toMatch(/group_users\s+[1-9]/)
      for (const text of [x.out.text, x.err.text, st.out.text, st.err.text]) expect(text).not.toContain(u.password)
    } finally {
      await dropSchema(base, schema)
    }
  })
})

describe('simulate', () => {
  it('prints a URL and token that work, and stops when told', async () => {
    const x = io({})
    let stop!: () => void
    const until = new Promise<void>((r) => {
      stop = r
    })
    const done = simulateCommand({ config: '', configExplicit: false, verbose: false, port: 0, host: '127.0.0.1', users: 20, seed: 5, token: 'sim-cli-token-abcdef' }, x, until)
    for (let i = 0; i < 100 && !x.out.text.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 20))
    const url = /listening on (\S+)/.exec(x.out.text)?.[1]
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(x.out.text).toContain('API token (SSWS): sim-cli-token-abcdef')
    expect(x.out.text).toContain(`OKTA_ORG_URL=${url} OKTA_API_TOKEN=sim-cli-token-abcdef npx okta-elt run`)
    const res = await fetch(`${url}/api/v1/users?limit=5`, { headers: { authorization: 'SSWS sim-cli-token-abcdef' } })
    expect(res.status).toBe(200)
    expect(((await res.json()) as unknown[]).length).toBe(5)
    stop()
    expect(await done).toBe(0)
    await expect(fetch(`${url}/api/v1/users`)).rejects.toThrow()
  })

  it('prints a pipeline command that works as printed (sh, in a project where okta-elt is installed)', async () => {
    const x = io({})
    let stop!: () => void
    const until = new Promise<void>((r) => {
      stop = r
    })
    const done = simulateCommand({ config: '', configExplicit: false, verbose: false, port: 0, host: '127.0.0.1', users: 20, seed: 5 }, x, until)
    try {
      for (let i = 0; i < 100 && !x.out.text.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 20))
      const lines = x.out.text.split('\n')
      const command = lines[lines.findIndex((l) => l.startsWith('Run the pipeline against it')) + 1]!.trim()
      expect(command).toMatch(/^OKTA_ORG_URL=\S+ OKTA_API_TOKEN=\S+ npx okta-elt run /)
      // A project directory with okta-elt installed (as in a clone, or a project depending on it).
      const project = tempDir()
      try {
        project.write('package.json', { name: 'uses-okta-elt', private: true })
        mkdirSync(join(project.dir, 'node_modules', '.bin'), { recursive: true })
        symlinkSync(fileURLToPath(new URL('../../bin/okta-elt.js', import.meta.url)), join(project.dir, 'node_modules', '.bin', 'okta-elt'))
        // Asynchronously: the simulator answering the command runs in this process's event loop.
        const child = spawn('sh', ['-c', command], {
          cwd: project.dir,
          env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '' },
        })
        const result = { status: null as number | null, stdout: '', stderr: '' }
        child.stdout.on('data', (d: Buffer) => (result.stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => (result.stderr += d.toString()))
        result.status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)))
        expect(result.status, result.stderr).toBe(0)
        expect(result.stdout).toMatch(/^okta-elt run succeeded/)
        expect(existsSync(join(project.dir, 'okta-sim.db'))).toBe(true)
      } finally {
        project.cleanup()
      }
    } finally {
      stop()
      await done
    }
  })

  it('a busy port is a usage error', async () => {
    const x = io({})
    const port = Number(new URL(sim.url).port)
    const code = await runCli(['simulate', '--port', String(port)], x)
    expect(code).toBe(2)
    expect(x.err.text).toMatch(/^okta-elt: simulate: port \d+ on 127\.0\.0\.1 is already in use/)
  })
})

describe('signals in the binary (subprocess)', () => {
  it('simulate stops cleanly on SIGINT, exit 0', async () => {
    const { spawn } = await import('node:child_process')
    const bin = new URL('../../bin/okta-elt.js', import.meta.url).pathname
    const child = spawn(process.execPath, [bin, 'simulate', '--port', '0', '--users', '10'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    for (let i = 0; i < 500 && !out.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 10))
    expect(out).toContain('Press Ctrl-C')
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(err).toBe('okta-elt: simulator stopped\n')
  })
})
