/**
 * Okta refusing us, and secrets staying secret.
 *
 * Auth: an invalid SSWS token, an OAuth key Okta does not accept (rotated/expired key), a missing
 * scope (SSWS and OAuth): the real binary exits 2 with one line carrying Okta's errorCode.
 *
 * Secrets: a recognisable SSWS token and an OAuth private key (jose-generated, PKCS#8 PEM in
 * OKTA_PRIVATE_KEY) appear nowhere: stdout, stderr, JSON log lines, `--json` output, every table
 * of the destination (`_okta_elt_*` included), error objects (inspected deeply, causes included),
 * with and without `--verbose`, on success and on failure. Neither do the client assertions and
 * access tokens derived from them (JWTs).
 */
import { inspect } from 'node:util'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OktaHttpClient } from '../../src/okta/index.ts'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import type { OktaAuth } from '../../src/pipeline/types.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/types.ts'
import type { LogEvent } from '../../src/util/log.ts'
import { destinationKinds, destinations, jsonLines, quoteIdent, runCliProcess, tempDir, withReader, type CliExit, type DestKind } from './helpers.ts'
import { DEFAULT_RESOURCES, scopesFor } from '../../src/resources/index.ts'

const TOKEN = '00SECRET-ssws-TOKEN-zq7Xw3Kp9Lm2Nb4Vc6'
const NARROW_TOKEN = '00SECRET-narrow-TOKEN-aa11bb22cc33dd44'
const CLIENT = '0oaRELIABILITY0000001'
const NARROW_CLIENT = '0oaNARROWSCOPE0000002'
/** Every scope the default resources need. */
const ALL_SCOPES = scopesFor(DEFAULT_RESOURCES)
/** Any JWT: client assertions we sign, access tokens the simulator issues. */
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/

let sim: Simulator
let tmp: ReturnType<typeof tempDir>
let privatePem: string
let otherPem: string

beforeAll(async () => {
  const accepted = await generateKeyPair('RS256', { extractable: true })
  const rotated = await generateKeyPair('RS256', { extractable: true })
  privatePem = await exportPKCS8(accepted.privateKey)
  otherPem = await exportPKCS8(rotated.privateKey)
  const publicPem = await exportSPKI(accepted.publicKey)
  sim = await startSimulator({
    seed: 61,
    token: TOKEN,
    size: { users: 40, groups: 4, apps: 2, logEvents: 60, logDays: 2 },
    scopedTokens: { [NARROW_TOKEN]: ['okta.users.read', 'okta.groups.read'] },
    oauthClients: [
      { clientId: CLIENT, publicKey: publicPem, keyId: 'k1', scopes: ALL_SCOPES },
      { clientId: NARROW_CLIENT, publicKey: publicPem, keyId: 'k1', scopes: ['okta.users.read'] },
    ],
  })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

/** The PEM and every line of its body: a key printed line by line is still a leak. */
function keyFragments(pem: string): string[] {
  return [pem, ...pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))]
}

function expectNoSecrets(text: string, where: string): void {
  for (const s of [TOKEN, NARROW_TOKEN, ...keyFragments(privatePem), ...keyFragments(otherPem)]) {
    expect(text.includes(s), `${where} contains a secret (${s.slice(0, 12)}…)`).toBe(false)
  }
  expect(text, `${where} contains a JWT`).not.toMatch(JWT)
  expect(text, where).not.toMatch(/PRIVATE KEY/)
}

function oauthConfig(destination: string, clientId = CLIENT): object {
  return { okta: { orgUrl: sim.url, auth: { type: 'oauth', clientId, keyId: 'k1' } }, destination }
}

function runCli(args: string[], config: object, env: Record<string, string>): Promise<CliExit> {
  const file = tmp.write(`c-${Math.random().toString(36).slice(2)}.json`, config)
  return runCliProcess(['--config', file, ...args], { env, cwd: tmp.dir })
}

/** stderr lines that are not JSON log lines: what a person reads. */
function humanLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'))
}

/** Every row of every table in the destination, metadata included, as text. */
const METADATA = ['_okta_elt_loads', '_okta_elt_state', '_okta_elt_columns', '_okta_elt_lock']

async function dumpEverything(kind: DestKind, url: string, required: string[] = ['users', ...METADATA]): Promise<string> {
  return withReader(url, async (r) => {
    const tables =
      kind === 'sqlite'
        ? (await r.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((t) => t.name)
        : (await r.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)).map((t) => t.name)
    expect(tables).toEqual(expect.arrayContaining(required))
    const parts: string[] = []
    for (const t of tables) {
      const rows = await r.all(`SELECT * FROM ${quoteIdent(t)}`)
      parts.push(`${t}: ${JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`)
    }
    return parts.join('\n')
  })
}

describe('Okta refuses the credentials (subprocess): exit 2, one line, the errorCode', () => {
  const cases: { name: string; config: (dir: string) => object; env: Record<string, string>; line: RegExp }[] = [
    {
      name: 'an invalid SSWS token',
      config: (dir) => ({ okta: { orgUrl: sim.url }, destination: `sqlite:${dir}/invalid.db` }),
      env: { OKTA_API_TOKEN: `${TOKEN}-revoked` },
      line: /^okta-elt: run failed: users: .*401.*E0000011/,
    },
    {
      name: 'an OAuth key Okta does not accept (rotated/expired)',
      config: (dir) => oauthConfig(`sqlite:${dir}/rotated.db`),
      env: { OKTA_PRIVATE_KEY: '' },
      line: /^okta-elt: run failed: users: .*401.*invalid_client/,
    },
    {
      name: 'an SSWS token without okta.apps.read and okta.logs.read',
      config: (dir) => ({ okta: { orgUrl: sim.url }, destination: `sqlite:${dir}/narrow.db` }),
      env: { OKTA_API_TOKEN: NARROW_TOKEN },
      line: /^okta-elt: run failed: apps: .*403.*E0000006.*okta\.apps\.read/,
    },
    {
      // Okta refuses the whole grant for the scopes the app lacks; the pipeline asks again without
      // them, so the resources needing them fail naming their scope and the others load.
      name: 'an OAuth app not granted the scopes it asks for',
      config: (dir) => oauthConfig(`sqlite:${dir}/narrow-oauth.db`, NARROW_CLIENT),
      env: { OKTA_PRIVATE_KEY: '' },
      line: /^okta-elt: run failed: \w+: .*403.*E0000006.*missing scope okta\.\w+\.read/,
    },
  ]

  it.concurrent.for(cases)('$name', async (c, { expect }) => {
    const env = c.env.OKTA_PRIVATE_KEY === '' ? { OKTA_PRIVATE_KEY: c.name.includes('rotated') ? otherPem : privatePem } : c.env
    const exit = await runCli(['run'], c.config(tmp.dir), env)
    expect(exit.code, exit.stderr).toBe(2)
    const lines = humanLines(exit.stderr)
    expect(lines, exit.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(c.line)
    expectNoSecrets(exit.stdout + exit.stderr, c.name)
  })
})

for (const kind of destinationKinds()) {
  describe(`secrets stay secret → ${kind}`, () => {
    let dests: ReturnType<typeof destinations>
    beforeAll(() => {
      dests = destinations(kind)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    it.concurrent.for([
      { auth: 'ssws', verbose: true },
      { auth: 'oauth', verbose: true },
      { auth: 'oauth', verbose: false },
    ] as const)('$auth run, verbose $verbose: not in stdout, stderr, log lines, --json, any table', async (c, { expect }) => {
      const url = dests.fresh()
      const config = c.auth === 'ssws' ? { okta: { orgUrl: sim.url }, destination: url } : oauthConfig(url)
      const env: Record<string, string> = c.auth === 'ssws' ? { OKTA_API_TOKEN: TOKEN } : { OKTA_PRIVATE_KEY: privatePem }
      const exit = await runCli([...(c.verbose ? ['--verbose'] : []), 'run', '--json'], config, env)
      expect(exit.code, exit.stderr).toBe(0)
      const summary = JSON.parse(exit.stdout) as { status: string }
      expect(summary.status).toBe('succeeded')
      const events = jsonLines(exit.stderr)
      expect(events.length).toBeGreaterThan(5)
      if (c.verbose && c.auth === 'oauth') expect(events.some((e) => e['event'] === 'okta.token')).toBe(true)
      expectNoSecrets(exit.stdout, 'stdout (--json)')
      expectNoSecrets(exit.stderr, 'stderr (log lines)')
      expectNoSecrets(await dumpEverything(kind, url), 'the destination')
      if (c.auth === 'ssws') return
      // `status` reads everything back: nothing there either.
      const status = await runCliProcess(['status', '--json', '--destination', url], { cwd: tmp.dir })
      expect(status.code, status.stderr).toBe(0)
      expectNoSecrets(status.stdout + status.stderr, 'status')
    })

    it('a failing OAuth run with --verbose (stack traces) and its load records show no key', async () => {
      const url = dests.fresh()
      const exit = await runCli(['--verbose', 'run', '--json'], oauthConfig(url), { OKTA_PRIVATE_KEY: otherPem })
      expect(exit.code).toBe(2)
      expect(exit.stderr).toMatch(/invalid_client/)
      expectNoSecrets(exit.stdout + exit.stderr, 'verbose failure')
      expectNoSecrets(await dumpEverything(kind, url, METADATA), 'the destination after a failure')
    })
  })
}

describe('error objects carry no secret (in-process, no output redaction in the way)', () => {
  /** Everything a caught error or a log event could leak through. */
  function exposed(value: unknown): string {
    const seen: string[] = [JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), inspect(value, { depth: 20, showHidden: true })]
    for (let cur: unknown = value, i = 0; cur instanceof Error && i < 10; cur = cur.cause, i++) seen.push(String(cur.stack), cur.message)
    return seen.join('\n')
  }

  const AUTHS: [string, () => OktaAuth][] = [
    ['invalid SSWS token', () => ({ type: 'ssws', token: `${TOKEN}-revoked` })],
    ['rejected OAuth key', () => ({ type: 'oauth', clientId: CLIENT, keyId: 'k1', privateKey: otherPem, scopes: ALL_SCOPES })],
    ['OAuth scope not granted', () => ({ type: 'oauth', clientId: NARROW_CLIENT, keyId: 'k1', privateKey: privatePem, scopes: ALL_SCOPES })],
  ]

  it.for(AUTHS)('%s: the thrown error, its causes and the log events', async ([, auth]) => {
    const events: LogEvent[] = []
    const client = new OktaHttpClient({ orgUrl: sim.url, auth: auth(), logger: (e) => events.push(e), maxRetries: 0 })
    try {
      const err = await (async () => {
        // Groups: the narrow app is granted only okta.users.read (its grant is narrowed to that, then this 403s).
        for await (const _page of client.pages('/api/v1/groups', { query: { limit: 2 } })) return null
        return null
      })().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(Error)
      expect((err as { exitCode?: number }).exitCode).toBe(2)
      expect((err as { errorCode?: string }).errorCode).toMatch(/^(E0000011|invalid_client|E0000006)$/)
      expectNoSecrets(exposed(err), 'the error')
      expectNoSecrets(exposed(events), 'the log events')
    } finally {
      await client.close()
    }
  })

  it('a pipeline run that fails on auth: summary and load errors', async () => {
    const dests = destinations('sqlite')
    try {
      const url = dests.fresh()
      const config = { ...defaultPipelineConfig({ orgUrl: sim.url, auth: AUTHS[1]![1](), destination: url }) }
      const events: LogEvent[] = []
      const summary = await runPipeline({ config, logger: (e) => events.push(e) })
      expect(summary.exitCode).toBe(2)
      expect(summary.resources.every((r) => r.oktaErrorCode === 'invalid_client')).toBe(true)
      expectNoSecrets(exposed(summary), 'the run summary')
      expectNoSecrets(exposed(events), 'the run log events')
      expectNoSecrets(await dumpEverything('sqlite', url, METADATA), 'the destination')
    } finally {
      await dests.cleanup()
    }
  })
})
