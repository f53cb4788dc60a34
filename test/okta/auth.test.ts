import { inspect } from 'node:util'
import { decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, type CryptoKey } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { OktaAuthError, OktaConfigError, OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'
import type { LogEvent } from '../../src/util/log.ts'
import { oktaError, recordingLogger, sendJson, sleep, startServer, closedAfterEach } from './helpers.ts'

const { track } = closedAfterEach()

/** Everything a caught error or a log line could leak through. */
function exposed(err: unknown, events: LogEvent[] = []): string {
  return [JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), String((err as Error)?.stack), JSON.stringify(events), inspect(events, { depth: 10 })].join('\n')
}

describe('SSWS', () => {
  it('sends Authorization: SSWS <token>; an invalid token is a terminal OktaAuthError that never shows the token', async () => {
    const secret = 'ssws-SECRET-00abcdef1234567890'
    const server = await startServer((req, res) => {
      if (req.headers['authorization'] === `SSWS ${secret}`) return sendJson(res, 200, [])
      sendJson(res, 401, oktaError('E0000011', 'Invalid token provided'), { 'x-okta-request-id': 'abc' })
    })
    track(server)
    const ok = track(new OktaHttpClient({ orgUrl: server.url, auth: { type: 'ssws', token: secret } }))
    await expect(ok.get('/api/v1/users')).resolves.toEqual([])

    const wrong = `${secret}-revoked`
    const { logger, events } = recordingLogger()
    const bad = track(new OktaHttpClient({ orgUrl: server.url, auth: { type: 'ssws', token: wrong }, logger }))
    const err = await bad.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect((err as Error).message).toBe('Okta GET /api/v1/users failed: 401 E0000011 Invalid token provided (request id abc)')
    expect(err).toMatchObject({ code: 'ERR_OKTA_AUTH', status: 401, errorCode: 'E0000011', exitCode: 2, retryable: false })
    expect(server.requests).toHaveLength(2) // no retry with a token that can't get better
    expect(exposed(err, events)).not.toContain(secret)
    expect(inspect(bad, { depth: 10, showHidden: true })).not.toContain(secret)
    expect(JSON.stringify(bad)).not.toContain(secret)
  })

  it('403 with insufficient_scope names the missing scope', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 403, oktaError('E0000006', 'You do not have permission to perform the requested action'), {
        'www-authenticate':
          'Bearer authorization_uri="http://x/oauth2/v1/authorize", realm="http://x", scope="okta.logs.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/logs"',
        'x-okta-request-id': 'r403',
      }),
    )
    track(server)
    const c = track(new OktaHttpClient({ orgUrl: server.url, auth: { type: 'ssws', token: 't' } }))
    const err = await c.get('/api/v1/logs').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ status: 403, missingScope: 'okta.logs.read', errorCode: 'E0000006' })
    expect((err as Error).message).toBe(
      'Okta GET /api/v1/logs failed: 403 E0000006 You do not have permission to perform the requested action (missing scope okta.logs.read) (request id r403)',
    )
  })
})

describe('OAuth 2.0 client credentials with private_key_jwt', () => {
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey; pem: string }
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true })
    rsa = { ...pair, pem: await exportPKCS8(pair.privateKey) }
  })

  /** A token endpoint verifying assertions against `publicKey`, plus one API path accepting its tokens. */
  async function oauthServer(publicKey: CryptoKey, opts: { ttl?: number; alg?: string } = {}) {
    const valid = new Set<string>()
    const assertions: Array<{ header: Record<string, unknown>; claims: Record<string, unknown>; form: URLSearchParams }> = []
    let issued = 0
    const server = await startServer(async (req, res) => {
      if (req.url === '/oauth2/v1/token') {
        const form = new URLSearchParams(req.body)
        try {
          const jwt = form.get('client_assertion') ?? ''
          const { payload } = await jwtVerify(jwt, publicKey, { audience: `${server.url}/oauth2/v1/token`, issuer: 'client-1' })
          assertions.push({ header: decodeProtectedHeader(jwt) as Record<string, unknown>, claims: payload as Record<string, unknown>, form })
        } catch (err) {
          return sendJson(res, 401, { error: 'invalid_client', error_description: `The client_assertion is invalid: ${(err as Error).message}` })
        }
        const token = `access-token-SECRET-${++issued}`
        valid.add(token)
        return sendJson(res, 200, { token_type: 'Bearer', expires_in: opts.ttl ?? 3600, access_token: token, scope: form.get('scope') })
      }
      const auth = req.headers['authorization'] ?? ''
      if (auth.startsWith('Bearer ') && valid.has(auth.slice(7))) return sendJson(res, 200, [{ id: 'u1' }])
      sendJson(res, 401, oktaError('E0000011', 'Invalid token provided'), { 'x-okta-request-id': `r${req.n}` })
    })
    track(server)
    return { server, valid, assertions, tokenRequests: () => server.requests.filter((r) => r.url === '/oauth2/v1/token').length }
  }

  function oauthClient(url: string, privateKey: string, extra: Partial<OktaClientConfig> & { keyId?: string } = {}): OktaHttpClient {
    const { keyId, ...rest } = extra
    return track(
      new OktaHttpClient({
        orgUrl: url,
        auth: { type: 'oauth', clientId: 'client-1', privateKey, scopes: ['okta.users.read', 'okta.groups.read'], ...(keyId ? { keyId } : {}) },
        retryBaseDelayMs: 10,
        ...rest,
      }),
    )
  }

  it('signs an RS256 assertion with the right claims, and caches the access token', async () => {
    const o = await oauthServer(rsa.publicKey)
    const c = oauthClient(o.server.url, rsa.pem, { keyId: 'kid-1' })
    await c.get('/api/v1/users')
    await c.get('/api/v1/users')
    expect(o.tokenRequests()).toBe(1)
    const a = o.assertions[0]!
    expect(a.header).toMatchObject({ alg: 'RS256', kid: 'kid-1' })
    expect(a.claims['iss']).toBe('client-1')
    expect(a.claims['sub']).toBe('client-1')
    expect(a.claims['aud']).toBe(`${o.server.url}/oauth2/v1/token`)
    expect(typeof a.claims['jti']).toBe('string')
    expect((a.claims['exp'] as number) - (a.claims['iat'] as number)).toBe(300)
    expect(a.form.get('grant_type')).toBe('client_credentials')
    expect(a.form.get('scope')).toBe('okta.users.read okta.groups.read')
    expect(a.form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    const api = o.server.requests.filter((r) => r.url !== '/oauth2/v1/token')
    expect(api.map((r) => r.headers['authorization'])).toEqual(['Bearer access-token-SECRET-1', 'Bearer access-token-SECRET-1'])
    expect(c.stats().buckets['token']?.requests).toBe(1)
  })

  it('fetches one token for many concurrent first requests (single flight)', async () => {
    const o = await oauthServer(rsa.publicKey)
    const c = oauthClient(o.server.url, rsa.pem)
    await Promise.all(Array.from({ length: 8 }, () => c.get('/api/v1/users')))
    expect(o.tokenRequests()).toBe(1)
  })

  it('refreshes the token shortly before it expires', async () => {
    const o = await oauthServer(rsa.publicKey, { ttl: 2 })
    const c = oauthClient(o.server.url, rsa.pem)
    await c.get('/api/v1/users')
    await sleep(200)
    await c.get('/api/v1/users')
    expect(o.tokenRequests()).toBe(1)
    await sleep(1400) // past 2 s − min(60 s, ttl/4)
    await c.get('/api/v1/users')
    expect(o.tokenRequests()).toBe(2)
  })

  it('on a 401 drops the cached token, gets a new one and retries once', async () => {
    const o = await oauthServer(rsa.publicKey)
    const c = oauthClient(o.server.url, rsa.pem)
    await c.get('/api/v1/users')
    o.valid.clear() // the org revoked every token
    await expect(c.get('/api/v1/users')).resolves.toEqual([{ id: 'u1' }])
    expect(o.tokenRequests()).toBe(2)
    const api = o.server.requests.filter((r) => r.url !== '/oauth2/v1/token')
    expect(api.map((r) => r.headers['authorization'])).toEqual([
      'Bearer access-token-SECRET-1',
      'Bearer access-token-SECRET-1',
      'Bearer access-token-SECRET-2',
    ])
  })

  it('a 401 that persists after a fresh token is terminal', async () => {
    const o = await oauthServer(rsa.publicKey)
    const { logger, events } = recordingLogger()
    const c = oauthClient(o.server.url, rsa.pem, { logger })
    await c.get('/api/v1/users')
    // Revoke every token the endpoint hands out from now on.
    const add = o.valid.add.bind(o.valid)
    o.valid.add = (v: string) => (v.endsWith('-1') ? add(v) : o.valid)
    o.valid.clear()
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ status: 401, errorCode: 'E0000011' })
    expect(o.tokenRequests()).toBe(2)
    const leaked = exposed(err, events)
    expect(leaked).not.toContain('access-token-SECRET')
    expect(leaked).not.toContain('BEGIN PRIVATE KEY')
    expect(leaked).not.toContain(rsa.pem.split('\n')[1]!)
    expect(leaked).not.toContain(o.server.requests[0]!.body.slice(-40))
  })

  it('accepts an EC key as JWK JSON (ES256, kid from the JWK)', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true })
    const jwk = { ...(await exportJWK(ec.privateKey)), kid: 'ec-key' }
    const o = await oauthServer(ec.publicKey)
    const c = oauthClient(o.server.url, JSON.stringify(jwk))
    await c.get('/api/v1/users')
    expect(o.assertions[0]?.header).toMatchObject({ alg: 'ES256', kid: 'ec-key' })
  })

  it('a rejected client assertion is an OktaAuthError naming the OAuth error, without the assertion or key', async () => {
    const other = await generateKeyPair('RS256', { extractable: true })
    const o = await oauthServer(other.publicKey)
    const { logger, events } = recordingLogger()
    const c = oauthClient(o.server.url, rsa.pem, { logger })
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaAuthError)
    expect(err).toMatchObject({ status: 401, errorCode: 'invalid_client', exitCode: 2, method: 'POST', path: '/oauth2/v1/token' })
    expect((err as Error).message).toMatch(/^Okta POST \/oauth2\/v1\/token failed: 401 invalid_client The client_assertion is invalid/)
    const assertion = new URLSearchParams(o.server.requests[0]!.body).get('client_assertion')!
    const leaked = exposed(err, events)
    expect(leaked).not.toContain(assertion)
    expect(leaked).not.toContain(assertion.split('.')[2]!)
    expect(leaked).not.toContain(rsa.pem.split('\n')[1]!)
    expect(o.server.requests.filter((r) => r.url !== '/oauth2/v1/token')).toHaveLength(0)
  })

  it('rejects an unreadable private key eagerly, naming the option but not the key', () => {
    const junk = '-----BEGIN PRIVATE KEY-----\nTk9UQUtFWQ==SECRETISH\n-----END PRIVATE KEY-----'
    let err: unknown
    try {
      new OktaHttpClient({ orgUrl: 'https://acme.okta.com', auth: { type: 'oauth', clientId: 'c', privateKey: junk, scopes: ['okta.users.read'] } })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(OktaConfigError)
    expect(err).toMatchObject({ option: 'auth.privateKey', code: 'ERR_OKTA_CONFIG', exitCode: 2 })
    expect(exposed(err)).not.toContain('SECRETISH')
  })
})
