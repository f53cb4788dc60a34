import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckReport } from '../../src/cli/commands/check.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import { postgresUrl, uniqueSchema, withSchema } from '../helpers/postgres.ts'
import { runCliProcess, type CliExit } from '../reliability/helpers.ts'
import { tempDir } from './helpers.ts'
import { DEFAULT_RESOURCES, scopesFor } from '../../src/resources/index.ts'

/**
 * `okta-elt check` as the real binary (a subprocess) against the simulator, real SQLite files,
 * the real Postgres, and small TCP servers that refuse to answer.
 */
const TOKEN = 'check-test-token-0123456789abcdef'
const LOGS_LESS = 'check-token-without-logs-0123456789'
/** Every scope the default resources need; NOT_LOGS lacks the System Log's. */
const ALL_SCOPES = scopesFor(DEFAULT_RESOURCES)
const NOT_LOGS = ALL_SCOPES.filter((s) => s !== 'okta.logs.read')
const CHECKS = 3 + ALL_SCOPES.length + 1
let sim: Simulator
let tmp: ReturnType<typeof tempDir>
let privateKeyPem: string

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privateKeyPem = await exportPKCS8(pair.privateKey)
  sim = await startSimulator({
    seed: 5,
    token: TOKEN,
    size: { users: 20, groups: 3, apps: 2, logEvents: 20, logDays: 1 },
    scopedTokens: { [LOGS_LESS]: NOT_LOGS },
    oauthClients: [
      { clientId: '0oaAllScopes', publicKey: await exportSPKI(pair.publicKey), scopes: ALL_SCOPES },
      { clientId: '0oaNoLogs', publicKey: await exportSPKI(pair.publicKey), scopes: NOT_LOGS },
    ],
  })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

function check(args: string[], env: Record<string, string>): Promise<CliExit> {
  return runCliProcess(['check', ...args], { env, cwd: tmp.dir })
}

function linesOf(out: string): string[] {
  return out.trimEnd().split('\n')
}

/** The line of one check, e.g. `FAIL  org  …`. */
function line(out: string, name: string): string {
  const found = linesOf(out).find((l) => new RegExp(`^(ok  |FAIL|skip)  ${name.replace(/\./g, '\\.')}\\s`).test(l))
  if (found === undefined) throw new Error(`no "${name}" line in:\n${out}`)
  return found
}

describe('okta-elt check against the simulator', () => {
  it('passes every check for a working setup, one line each, exit 0, and creates nothing', async () => {
    const db = join(tmp.dir, 'fresh.db')
    const res = await check(['--destination', `sqlite:${db}`], { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN })
    expect(res.code, res.stdout + res.stderr).toBe(0)
    const lines = linesOf(res.stdout)
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([...Array(CHECKS).fill('ok'), 'all'])
    for (const name of ['config', 'org', 'credentials', 'destination']) expect(line(res.stdout, name)).toMatch(/^ok/)
    for (const scope of ALL_SCOPES) expect(line(res.stdout, `scope ${scope}`)).toMatch(/^ok/)
    expect(lines.at(-1)).toBe(`all ${CHECKS} checks passed`)
    expect(res.stdout + res.stderr).not.toContain(TOKEN)
    expect(existsSync(db)).toBe(false)
  })

  it('--json prints one document with every check', async () => {
    const res = await check(['--json', '--destination', `sqlite:${join(tmp.dir, 'j.db')}`, '--resources', 'users'], { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN })
    expect(res.code, res.stderr).toBe(0)
    const report = JSON.parse(res.stdout) as CheckReport
    expect(report.ok).toBe(true)
    // --resources users needs only the users scope.
    expect(report.checks.map((c) => c.name)).toEqual(['config', 'org', 'credentials', 'scope okta.users.read', 'destination'])
    expect(report.checks.every((c) => c.status === 'ok')).toBe(true)
  })

  it('a rejected token: credentials FAIL with Okta errorCode, scopes skipped, exit 2, the token nowhere', async () => {
    const bad = 'not-the-token-0123456789abcdefgh'
    const res = await check(['--destination', `sqlite:${join(tmp.dir, 'b.db')}`], { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: bad })
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'org')).toMatch(/^ok/)
    expect(line(res.stdout, 'credentials')).toMatch(/^FAIL .*401 E0000011/)
    expect(line(res.stdout, 'scope okta.logs.read')).toMatch(/^skip .*credentials rejected/)
    expect(line(res.stdout, 'destination')).toMatch(/^ok/)
    expect(res.stdout + res.stderr).not.toContain(bad)
  })

  it('a token without the System Log permission: that scope FAILs, named, the others pass', async () => {
    const res = await check(['--destination', `sqlite:${join(tmp.dir, 's.db')}`], { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: LOGS_LESS })
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'credentials')).toMatch(/^ok/)
    expect(line(res.stdout, 'scope okta.logs.read')).toMatch(/^FAIL .*403 .*missing scope okta\.logs\.read.*needed by system_log/)
    for (const scope of NOT_LOGS) expect(line(res.stdout, `scope ${scope}`)).toMatch(/^ok/)
    expect(linesOf(res.stdout).at(-1)).toBe(`1 of ${CHECKS} checks failed`)

    // Resources that do not need the missing scope: all pass.
    const narrow = await check(['--destination', `sqlite:${join(tmp.dir, 's.db')}`, '--resources', 'users,groups'], { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: LOGS_LESS })
    expect(narrow.code, narrow.stdout).toBe(0)
  })

  it('OAuth: the token call is the credentials check; a scope missing from okta.auth.scopes is named by the 403', async () => {
    const config = tmp.write('oauth.json', {
      okta: { orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oaAllScopes', privateKeyEnv: 'KEY', scopes: NOT_LOGS } },
      destination: `sqlite:${join(tmp.dir, 'o.db')}`,
    })
    const res = await check(['--config', config], { KEY: privateKeyPem })
    expect(line(res.stdout, 'credentials')).toMatch(/^ok .*access token issued to client 0oaAllScopes/)
    expect(line(res.stdout, 'scope okta.logs.read')).toMatch(/^FAIL .*missing scope okta\.logs\.read.*okta\.auth\.scopes/)
    expect(res.code).toBe(2)
    expect(res.stdout + res.stderr).not.toContain('PRIVATE KEY')

    // The app is not granted a scope the config asks for: Okta refuses the grant naming it, the
    // client asks again without it (as a run does), and that scope's check FAILs, named.
    const refused = tmp.write('oauth-refused.json', {
      okta: { orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oaNoLogs', privateKeyEnv: 'KEY', scopes: ALL_SCOPES } },
      destination: `sqlite:${join(tmp.dir, 'o.db')}`,
    })
    const r2 = await check(['--config', refused], { KEY: privateKeyPem })
    expect(r2.code).toBe(2)
    expect(line(r2.stdout, 'credentials')).toMatch(/^ok/)
    expect(line(r2.stdout, 'scope okta.logs.read')).toMatch(/^FAIL .*missing scope okta\.logs\.read/)
    for (const scope of NOT_LOGS) expect(line(r2.stdout, `scope ${scope}`)).toMatch(/^ok/)
  })

  it('an invalid config: config FAIL with the reason, Okta checks skipped, the destination still checked', async () => {
    const res = await check([], { OKTA_ORG_URL: sim.url, OKTA_ELT_DESTINATION: `sqlite:${join(tmp.dir, 'c.db')}` })
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'config')).toMatch(/^FAIL .*missing Okta API token.*OKTA_API_TOKEN/)
    expect(line(res.stdout, 'org')).toMatch(/^skip/)
    expect(line(res.stdout, 'destination')).toMatch(/^ok/)
  })
})

describe('an unreachable org fails in seconds, one line', () => {
  let silent: Server
  const sockets = new Set<Socket>()
  let silentPort = 0
  beforeAll(async () => {
    // Accepts connections and never answers: a firewall that drops, a hung proxy.
    silent = createServer((s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    silentPort = (silent.address() as { port: number }).port
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => silent?.close(r))
  })

  async function closedPort(): Promise<number> {
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as { port: number }).port
    await new Promise((r) => s.close(r))
    return port
  }

  it('connection refused: org FAIL naming it, everything Okta skipped, well under the retry policy', async () => {
    const started = Date.now()
    const res = await check(['--destination', `sqlite:${join(tmp.dir, 'r.db')}`], { OKTA_ORG_URL: `http://127.0.0.1:${await closedPort()}`, OKTA_API_TOKEN: TOKEN })
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'org')).toMatch(/^FAIL .*connection refused .*ECONNREFUSED/)
    expect(line(res.stdout, 'credentials')).toMatch(/^skip .*org unreachable/)
    expect(res.stderr).toBe('')
  })

  it('a host that does not resolve: org FAIL "cannot resolve"', async () => {
    const res = await check(['--destination', `sqlite:${join(tmp.dir, 'r.db')}`], { OKTA_ORG_URL: 'https://okta-elt-check.invalid', OKTA_API_TOKEN: TOKEN })
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'org')).toMatch(/^FAIL .*cannot resolve host okta-elt-check\.invalid|no answer from/)
  })

  it('a server that never answers: org FAIL after the short timeout, not the run\'s retries', async () => {
    const config = tmp.write('silent.json', {
      okta: { orgUrl: `http://127.0.0.1:${silentPort}`, requestTimeoutMs: 1000 },
      destination: `sqlite:${join(tmp.dir, 'h.db')}`,
    })
    const started = Date.now()
    const res = await check(['--config', config], { OKTA_API_TOKEN: TOKEN })
    const elapsed = Date.now() - started
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'org')).toMatch(/^FAIL .*no answer from 127\.0\.0\.1:\d+ within 1000 ms/)
    expect(elapsed).toBeLessThan(8_000)
  })
})

describe('a URL that is not an Okta org', () => {
  it('a web server answering HTML: org ok but flagged, every API check FAILs, exit 2', async () => {
    const web = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html><body>Welcome to nginx!</body></html>')
    })
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(web.address() as { port: number }).port}`
      const res = await check(['--destination', `sqlite:${join(tmp.dir, 'w.db')}`, '--resources', 'users'], { OKTA_ORG_URL: url, OKTA_API_TOKEN: TOKEN })
      expect(res.code).toBe(2)
      expect(line(res.stdout, 'org')).toMatch(/^ok .*HTTP 200 .*not JSON: is this the Okta org URL\?/)
      expect(line(res.stdout, 'scope okta.users.read')).toMatch(/^FAIL .*invalid JSON body/)
      expect(line(res.stdout, 'credentials')).toMatch(/^skip/)
    } finally {
      await new Promise((r) => web.close(r))
    }
  })
})

describe('the destination: reachable and writable, nothing created', () => {
  const env = (): Record<string, string> => ({ OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: TOKEN })

  it('SQLite in a read-only directory: FAIL naming it', async () => {
    const res = await check(['--destination', 'sqlite:/sys/okta.db', '--resources', 'users'], env())
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'destination')).toMatch(/^FAIL .*directory \/sys is not writable/)
  })

  it('SQLite in a directory that does not exist, or a file that is not a database: FAIL', async () => {
    const missing = await check(['--destination', `sqlite:${join(tmp.dir, 'no', 'such', 'x.db')}`, '--resources', 'users'], env())
    expect(line(missing.stdout, 'destination')).toMatch(/^FAIL .*does not exist/)
    const junk = join(tmp.dir, 'junk.db')
    writeFileSync(junk, 'this is not a database, just some text that is long enough to have a header'.repeat(20))
    const res = await check(['--destination', `sqlite:${junk}`, '--resources', 'users'], env())
    expect(res.code).toBe(2)
    expect(line(res.stdout, 'destination')).toMatch(/^FAIL .*not a usable SQLite database/)
  })

  it('an existing SQLite database loaded by a run: ok, with its tables', async () => {
    const db = `sqlite:${join(tmp.dir, 'loaded.db')}`
    const run = await runCliProcess(['run', '--destination', db, '--resources', 'users'], { env: env(), cwd: tmp.dir })
    expect(run.code, run.stderr).toBe(0)
    const res = await check(['--destination', db, '--resources', 'users'], env())
    expect(res.code, res.stdout).toBe(0)
    expect(line(res.stdout, 'destination')).toMatch(/^ok .*writable \(\d+ tables\)/)
  })

  it('DuckDB: a new file ok, nothing created; a file that is not DuckDB FAIL; a loaded one ok with its tables; one held by another process ok, naming it', async () => {
    const file = join(tmp.dir, 'check.duckdb')
    const fresh = await check(['--destination', `duckdb:${file}`, '--resources', 'users'], env())
    expect(fresh.code, fresh.stdout).toBe(0)
    expect(line(fresh.stdout, 'destination')).toMatch(/^ok .*does not exist yet; the first run creates it/)
    expect(existsSync(file)).toBe(false)

    const junk = join(tmp.dir, 'junk.duckdb')
    writeFileSync(junk, 'not a database '.repeat(400))
    const bad = await check(['--destination', `duckdb:${junk}`, '--resources', 'users'], env())
    expect(bad.code).toBe(2)
    expect(line(bad.stdout, 'destination')).toMatch(/^FAIL .*junk\.duckdb is not a usable DuckDB database/)

    const run = await runCliProcess(['run', '--destination', `duckdb:${file}`, '--resources', 'users'], { env: env(), cwd: tmp.dir })
    expect(run.code, run.stderr).toBe(0)
    const loaded = await check(['--destination', `duckdb:${file}`, '--resources', 'users'], env())
    expect(loaded.code, loaded.stdout).toBe(0)
    expect(line(loaded.stdout, 'destination')).toMatch(/^ok .*writable \([1-9]\d* tables in schema "main"\)/)
    const other = await check(['--destination', `duckdb:${file}?schema=elsewhere`, '--resources', 'users'], env())
    expect(line(other.stdout, 'destination')).toMatch(/^ok .*schema "elsewhere" does not exist yet/)

    // Another process with the file open for writing (as a run has it): DuckDB admits one process per file.
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      const { DuckDBInstance } = await import('@duckdb/node-api')
      await DuckDBInstance.create(${JSON.stringify(file)})
      console.log('open')
      process.stdin.resume()
    `], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('open') && resolve())
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)))
      })
      const held = await check(['--destination', `duckdb:${file}`, '--resources', 'users'], env())
      expect(held.code, held.stdout).toBe(0)
      expect(line(held.stdout, 'destination')).toMatch(new RegExp(`^ok .*is open in another process now \\(pid ${holder.pid}\\b`))
    } finally {
      holder.kill()
    }
  })

  it('Postgres: ok without creating the schema; unreachable port and a read-only role FAIL', async (ctx) => {
    const base = postgresUrl()
    if (base === null) return ctx.skip()
    const schema = uniqueSchema('check')
    const res = await check(['--destination', withSchema(base, schema), '--resources', 'users'], env())
    expect(res.code, res.stdout).toBe(0)
    expect(line(res.stdout, 'destination')).toMatch(/^ok .*does not exist yet/)
    const admin = new pg.Client({ connectionString: base })
    await admin.connect()
    const role = `okta_elt_ro_${schema}`
    try {
      const left = await admin.query(`select 1 from pg_namespace where nspname = $1`, [schema])
      expect(left.rowCount).toBe(0)

      const port = new URL(base)
      port.port = String(await (async () => {
        const s = createServer()
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
        const p = (s.address() as { port: number }).port
        await new Promise((r) => s.close(r))
        return p
      })())
      const down = await check(['--destination', port.toString(), '--resources', 'users'], env())
      expect(down.code).toBe(2)
      expect(line(down.stdout, 'destination')).toMatch(/^FAIL .*cannot connect: .*ECONNREFUSED/)

      await admin.query(`create role "${role}" login`)
      await admin.query(`alter role "${role}" set default_transaction_read_only = on`)
      const ro = new URL(base)
      ro.username = role
      const readOnly = await check(['--destination', withSchema(ro.toString(), schema), '--resources', 'users'], env())
      expect(readOnly.code).toBe(2)
      expect(line(readOnly.stdout, 'destination')).toMatch(/^FAIL .*read-only/)

      // Writable sessions but no privilege to create the schema: the database's reason.
      await admin.query(`alter role "${role}" reset default_transaction_read_only`)
      const denied = await check(['--destination', withSchema(ro.toString(), schema), '--resources', 'users'], env())
      expect(denied.code).toBe(2)
      expect(line(denied.stdout, 'destination')).toMatch(/^FAIL .*cannot create tables in schema .*permission denied/)
    } finally {
      await admin.query(`drop role if exists "${role}"`).catch(() => undefined)
      await admin.end()
    }
  })
})
