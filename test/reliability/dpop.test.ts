/**
 * DPoP end to end: a service app created with "Require DPoP" on (what new Okta orgs default to)
 * loads completely with `okta.auth.dpop` left at "auto" and with `true`, while the simulator
 * rotates its nonce mid-run and asks for a resource nonce too; `false` fails with one line naming
 * the setting. Neither the DPoP-bound access token nor a proof (JWTs) reaches any output or table.
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultPipelineConfig } from '../../src/pipeline/defaults.ts'
import { runPipeline } from '../../src/pipeline/run.ts'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { expectFirstLoadComplete } from '../helpers/query.ts'
import { destinationKinds, destinations, runCliProcess, tempDir, withReader, quoteIdent } from './helpers.ts'

const CLIENT = '0oaDPOPRELIABILITY01'
const ALL_SCOPES = ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read']
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/
/** Short enough that a run sees several rotations. */
const NONCE_LIFETIME_MS = 150

let sim: Simulator
let tmp: ReturnType<typeof tempDir>
let privatePem: string

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privatePem = await exportPKCS8(pair.privateKey)
  sim = await startSimulator({
    seed: 97,
    size: { users: 150, groups: 5, apps: 3, logEvents: 120, logDays: 2 },
    oauthClients: [{ clientId: CLIENT, publicKey: await exportSPKI(pair.publicKey), keyId: 'k1', scopes: ALL_SCOPES, requireDpop: true }],
    dpop: { nonceLifetimeMs: NONCE_LIFETIME_MS, resourceNonce: true },
    // Pages take a moment, so the nonce rotates while the run is under way.
    latencyMs: 15,
  })
  tmp = tempDir()
})
afterAll(async () => {
  await sim?.close()
  tmp?.cleanup()
})

function config(destination: string, dpop?: 'auto' | boolean | string): object {
  return { okta: { orgUrl: sim.url, auth: { type: 'oauth', clientId: CLIENT, keyId: 'k1', ...(dpop === undefined ? {} : { dpop }) } }, destination }
}

function runCli(args: string[], cfg: object): ReturnType<typeof runCliProcess> {
  const file = tmp.write(`c-${Math.random().toString(36).slice(2)}.json`, cfg)
  return runCliProcess(['--config', file, ...args], { env: { OKTA_PRIVATE_KEY: privatePem }, cwd: tmp.dir })
}

function humanLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'))
}

/** Every row of every table, as text. */
async function everything(url: string): Promise<string> {
  return withReader(url, async (r) => {
    const tables = url.startsWith('sqlite:')
      ? (await r.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)).map((t) => t.name)
      : (await r.all<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)).map((t) => t.name)
    const parts: string[] = []
    for (const t of tables) parts.push(JSON.stringify(await r.all(`SELECT * FROM ${quoteIdent(t)}`), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    return parts.join('\n')
  })
}

function answersSince(from: number): { token: string[]; apiChallenges: number; api: number } {
  const recent = sim.requests.slice(from)
  return {
    token: recent.filter((r) => r.path === '/oauth2/v1/token').map((r) => `${r.status}${r.oauthError ? ` ${r.oauthError}` : ''}`),
    apiChallenges: recent.filter((r) => r.path.startsWith('/api/') && r.oauthError === 'use_dpop_nonce').length,
    api: recent.filter((r) => r.path.startsWith('/api/')).length,
  }
}

for (const kind of destinationKinds()) {
  describe(`an app that requires DPoP → ${kind}`, () => {
    let dests: ReturnType<typeof destinations>
    beforeAll(() => {
      dests = destinations(kind)
    })
    afterAll(async () => {
      await dests?.cleanup()
    })

    it('okta-elt run with okta.auth.dpop left at "auto": switches to DPoP, rides out nonce rotations, loads everything, leaks no JWT', async () => {
      const url = dests.fresh()
      const from = sim.requests.length
      const started = Date.now()
      const exit = await runCli(['--verbose', 'run', '--json'], config(url))
      expect(exit.code, exit.stderr).toBe(0)
      expect((JSON.parse(exit.stdout) as { status: string }).status).toBe('succeeded')
      await expectFirstLoadComplete(url, sim.org.counts())
      const seen = answersSince(from)
      expect(seen.token.slice(0, 3)).toEqual(['400 invalid_dpop_proof', '400 use_dpop_nonce', '200'])
      // The first request of the run and at least one after a rotation were challenged, and each got through.
      expect(Date.now() - started).toBeGreaterThan(3 * NONCE_LIFETIME_MS)
      expect(seen.apiChallenges).toBeGreaterThanOrEqual(2)
      for (const text of [exit.stdout, exit.stderr, await everything(url)]) {
        expect(text).not.toMatch(JWT)
        expect(text).not.toMatch(/PRIVATE KEY/)
      }
    })

    it('runPipeline with okta.auth.dpop true: proofs from the first token request, loads everything', async () => {
      const url = dests.fresh()
      const from = sim.requests.length
      const cfg = defaultPipelineConfig({ orgUrl: sim.url, auth: { type: 'oauth', clientId: CLIENT, keyId: 'k1', privateKey: privatePem, scopes: ALL_SCOPES, dpop: true }, destination: url })
      const summary = await runPipeline({ config: cfg })
      expect(summary.status, JSON.stringify(summary.resources)).toBe('succeeded')
      await expectFirstLoadComplete(url, sim.org.counts())
      expect(answersSince(from).token[0]).toBe('400 use_dpop_nonce')
      expect(answersSince(from).token).not.toContain('400 invalid_dpop_proof')
    })
  })
}

describe('okta.auth.dpop false, or not a valid value', () => {
  it('false against an app that requires DPoP: exit 2, one line with Okta\'s error and the setting to change', async () => {
    const exit = await runCli(['run'], config(`sqlite:${tmp.dir}/no-dpop.db`, false))
    expect(exit.code, exit.stderr).toBe(2)
    const lines = humanLines(exit.stderr)
    expect(lines, exit.stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/^okta-elt: run failed: .*400 invalid_dpop_proof The DPoP proof JWT header is missing\. \(the service app requires DPoP proofs; set okta\.auth\.dpop to "auto" or true\)/)
  })

  it('"yes": a usage error naming okta.auth.dpop before anything runs', async () => {
    const from = sim.requests.length
    const exit = await runCli(['run'], config(`sqlite:${tmp.dir}/bad-value.db`, 'yes'))
    expect(exit.code, exit.stderr).toBe(2)
    const lines = humanLines(exit.stderr)
    expect(lines, exit.stderr).toHaveLength(1)
    expect(lines[0]).toBe('okta-elt: config: okta.auth.dpop: expected one of "auto", true, false, got "yes"')
    expect(sim.requests.length).toBe(from)
  })
})
