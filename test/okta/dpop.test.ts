/**
 * The client's DPoP (RFC 9449 as Okta does it): `okta.auth.dpop` "auto" / true / false, the
 * nonce handshake at the token endpoint, a fresh proof per request, nonce rotation at the token
 * endpoint and at the resource server, no secret in errors or inspect output. Against the
 * simulator (which validates every proof) and, to read the proofs themselves, a scripted server.
 */
import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { decodeJwt, decodeProtectedHeader, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { OktaAuthError, OktaHttpClient } from '../../src/okta/index.ts'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.ts'
import type { Logger } from '../../src/util/log.ts'
import { closedAfterEach, recordingLogger, sendJson, startServer } from './helpers.ts'

const { track } = closedAfterEach()
const DPOP_APP = '0oaDPOPREQUIRED'
const BEARER_APP = '0oaBEARERONLY'
const SCOPES = ['okta.users.read']
const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/

let privatePem: string
let publicPem: string
beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true })
  privatePem = await exportPKCS8(pair.privateKey)
  publicPem = await exportSPKI(pair.publicKey)
})

async function simulator(extra: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  return track(
    await startSimulator({
      size: { users: 5 },
      oauthClients: [
        { clientId: DPOP_APP, publicKey: publicPem, scopes: SCOPES, requireDpop: true },
        { clientId: BEARER_APP, publicKey: publicPem, scopes: SCOPES },
      ],
      ...extra,
    }),
  )
}

function client(url: string, clientId: string, dpop: 'auto' | boolean | undefined, extra: { logger?: Logger } = {}): OktaHttpClient {
  return track(
    new OktaHttpClient({
      orgUrl: url,
      auth: { type: 'oauth', clientId, privateKey: privatePem, scopes: SCOPES, ...(dpop === undefined ? {} : { dpop }) },
      retryBaseDelayMs: 10,
      ...extra,
    }),
  )
}

/** `status error` of each request to `path`, in order. */
function answers(sim: Simulator, path: string): string[] {
  return sim.requests.filter((r) => r.path === path).map((r) => `${r.status}${r.oauthError ? ` ${r.oauthError}` : ''}`)
}

describe('okta.auth.dpop against a service app that requires DPoP', () => {
  it('"auto" (the default): starts without a proof, switches to DPoP on invalid_dpop_proof, runs the nonce handshake, then loads', async () => {
    const sim = await simulator()
    const { logger, events } = recordingLogger()
    const c = client(sim.url, DPOP_APP, undefined, { logger })
    const users = await c.get<unknown[]>('/api/v1/users', { query: { limit: 2 } })
    expect(users).toHaveLength(2)
    await c.get('/api/v1/users')
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 invalid_dpop_proof', '400 use_dpop_nonce', '200'])
    expect(answers(sim, '/api/v1/users')).toEqual(['200', '200'])
    expect(events.find((e) => e.event === 'okta.token')).toMatchObject({ tokenType: 'DPoP' })
  })

  it('true: the first token request already carries a proof', async () => {
    const sim = await simulator()
    const c = client(sim.url, DPOP_APP, true)
    await c.get('/api/v1/users')
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 use_dpop_nonce', '200'])
    expect(answers(sim, '/api/v1/users')).toEqual(['200'])
  })

  it('false: one line naming Okta\'s error and the setting to change, exit code 2, no retry', async () => {
    const sim = await simulator()
    const c = client(sim.url, DPOP_APP, false)
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ exitCode: 2, status: 400, errorCode: 'invalid_dpop_proof' })
    expect((err as Error).message).toMatch(
      /^Okta POST \/oauth2\/v1\/token failed: 400 invalid_dpop_proof The DPoP proof JWT header is missing\. \(the service app requires DPoP proofs; set okta\.auth\.dpop to "auto" or true\) \(request id \S+\)$/,
    )
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 invalid_dpop_proof'])
    expect(answers(sim, '/api/v1/users')).toEqual([])
  })

  it('"auto" against an app without DPoP never sends a proof (Bearer token)', async () => {
    const sim = await simulator()
    const c = client(sim.url, BEARER_APP, 'auto')
    await c.get('/api/v1/users')
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['200'])
    expect(answers(sim, '/api/v1/users')).toEqual(['200'])
  })
})

describe('nonce rotation', () => {
  it('at the token endpoint: a refresh with the old nonce gets use_dpop_nonce and is retried once with the new one', async () => {
    const sim = await simulator()
    const c = client(sim.url, DPOP_APP, 'auto')
    await c.get('/api/v1/users')
    sim.rotateDpopNonce()
    sim.expireAccessTokens()
    await expect(c.get('/api/v1/users', { query: { limit: 1 } })).resolves.toHaveLength(1)
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 invalid_dpop_proof', '400 use_dpop_nonce', '200', '400 use_dpop_nonce', '200'])
    expect(answers(sim, '/api/v1/users')).toEqual(['200', '401', '200'])
  })

  it('at the resource server: a 401 WWW-Authenticate: DPoP error="use_dpop_nonce" is retried once with the new nonce, keeping the token', async () => {
    const sim = await simulator({ dpop: { resourceNonce: true } })
    const c = client(sim.url, DPOP_APP, true)
    await c.get('/api/v1/users')
    await c.get('/api/v1/users') // the nonce is remembered: no second challenge
    sim.rotateDpopNonce()
    await c.get('/api/v1/users')
    expect(answers(sim, '/api/v1/users')).toEqual(['401 use_dpop_nonce', '200', '200', '401 use_dpop_nonce', '200'])
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 use_dpop_nonce', '200'])
  })

  it('a token request retried after a failure mid-body carries a fresh client assertion and proof (Okta accepts each once)', async () => {
    const sim = await simulator()
    sim.faults.inject({ kind: 'truncate', path: '/oauth2/v1/token', after: 1, times: 1 })
    const c = client(sim.url, DPOP_APP, true)
    await c.get('/api/v1/users')
    // The truncated answer was a 200 whose token we never read; the retry must not be a replay.
    expect(answers(sim, '/oauth2/v1/token')).toEqual(['400 use_dpop_nonce', '200', '200'])
  })
})

describe('the proofs on the wire (scripted Okta)', () => {
  it('ES256 with a public jwk; htm, htu without query, iat, a fresh jti per request, nonce at the token endpoint, ath on API calls; one key per client', async () => {
    const ACCESS = 'dpop-bound-access-token-SECRET'
    const server = track(
      await startServer((req, res) => {
        if (req.url === '/oauth2/v1/token') {
          const proof = req.headers['dpop']
          if (proof === undefined) return sendJson(res, 400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' })
          if (decodeJwt(String(proof))['nonce'] !== 'nonce-1') {
            return sendJson(res, 400, { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }, { 'dpop-nonce': 'nonce-1' })
          }
          return sendJson(res, 200, { token_type: 'DPoP', expires_in: 3600, access_token: ACCESS, scope: 'okta.users.read' })
        }
        if (req.headers['authorization'] !== `DPoP ${ACCESS}` || req.headers['dpop'] === undefined) return sendJson(res, 401, { errorCode: 'E0000011' })
        return sendJson(res, 200, [])
      }),
    )
    const c = client(server.url, DPOP_APP, 'auto')
    await c.get('/api/v1/users', { query: { limit: 200, search: 'status eq "ACTIVE"' } })
    await c.get('/api/v1/groups')

    const [plain, first, second, api1, api2] = server.requests
    expect(server.requests).toHaveLength(5)
    expect(plain!.headers['dpop']).toBeUndefined()
    const proofs = [first, second, api1, api2].map((r) => ({ header: decodeProtectedHeader(String(r!.headers['dpop'])), claims: decodeJwt(String(r!.headers['dpop'])) }))
    for (const p of proofs) {
      expect(p.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } })
      expect(p.header.jwk).not.toHaveProperty('d')
      expect(p.header.jwk).toEqual(proofs[0]!.header.jwk)
      expect(Math.abs((p.claims.iat as number) - Date.now() / 1000)).toBeLessThan(30)
    }
    expect(new Set(proofs.map((p) => p.claims.jti)).size).toBe(4)
    expect(proofs[0]!.claims).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth2/v1/token` })
    expect(proofs[0]!.claims).not.toHaveProperty('nonce')
    expect(proofs[1]!.claims).toMatchObject({ htm: 'POST', htu: `${server.url}/oauth2/v1/token`, nonce: 'nonce-1' })
    const ath = createHash('sha256').update(ACCESS).digest('base64url')
    expect(proofs[2]!.claims).toMatchObject({ htm: 'GET', htu: `${server.url}/api/v1/users`, ath })
    expect(proofs[3]!.claims).toMatchObject({ htm: 'GET', htu: `${server.url}/api/v1/groups`, ath })
    expect(proofs[0]!.claims).not.toHaveProperty('ath')
    // Every token attempt signed its own client assertion.
    const assertions = [plain, first, second].map((r) => new URLSearchParams(r!.body).get('client_assertion'))
    expect(new Set(assertions).size).toBe(3)

    // Nothing the client holds shows a secret: not the access token, not a key, not a proof.
    const shown = inspect(c, { depth: 20, showHidden: true }) + JSON.stringify(c)
    expect(shown).not.toContain(ACCESS)
    expect(shown).not.toMatch(JWT)
    expect(shown).not.toMatch(/PRIVATE KEY/)
  })

  it('a 401 for a DPoP token without a nonce challenge drops the token and fetches a new one, once', async () => {
    let issued = 0
    const server = track(
      await startServer((req, res) => {
        if (req.url === '/oauth2/v1/token') {
          if (decodeJwt(String(req.headers['dpop']))['nonce'] !== 'n') return sendJson(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n' })
          return sendJson(res, 200, { token_type: 'DPoP', expires_in: 3600, access_token: `tok-${++issued}` })
        }
        if (req.headers['authorization'] === 'DPoP tok-2') return sendJson(res, 200, [])
        return sendJson(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' }, { 'www-authenticate': 'DPoP error="invalid_token"' })
      }),
    )
    const c = client(server.url, DPOP_APP, true)
    await expect(c.get('/api/v1/users')).resolves.toEqual([])
    expect(server.requests.map((r) => r.url)).toEqual(['/oauth2/v1/token', '/oauth2/v1/token', '/api/v1/users', '/oauth2/v1/token', '/api/v1/users'])
  })
})
