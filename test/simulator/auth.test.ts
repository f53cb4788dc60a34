import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { get, type Json } from './helpers.ts'

const ALL = ['okta.users.read', 'okta.groups.read', 'okta.apps.read', 'okta.logs.read']
let sim: Simulator
let rsa: Awaited<ReturnType<typeof generateKeyPair>>
let ec: Awaited<ReturnType<typeof generateKeyPair>>
let other: Awaited<ReturnType<typeof generateKeyPair>>

beforeAll(async () => {
  rsa = await generateKeyPair('RS256')
  ec = await generateKeyPair('ES256')
  other = await generateKeyPair('RS256')
  const ecJwk = await exportJWK(ec.publicKey)
  sim = await startSimulator({
    size: { users: 30 },
    token: 'full-token',
    scopedTokens: { 'users-only': ['okta.users.read'] },
    oauthClients: [
      { clientId: '0oaRSA', publicKey: await exportSPKI(rsa.publicKey), scopes: ['okta.users.read', 'okta.groups.read'] },
      { clientId: '0oaEC', publicKey: { ...ecJwk, kty: ecJwk.kty ?? 'EC', kid: 'k1' }, scopes: ALL },
    ],
  })
})
afterAll(async () => {
  await sim.close()
})

async function assertion(clientId: string, key: CryptoKey, alg: string, claims: { aud?: string; exp?: number; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(claims.aud ?? `${sim.url}/oauth2/v1/token`)
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 300)
    .sign(key)
}

async function token(fields: Record<string, string>): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${sim.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', ...fields }),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

describe('OAuth client credentials with private_key_jwt', () => {
  it('issues access tokens for valid assertions (RS256 PEM, ES256 JWK) that work as Bearer tokens', async () => {
    const r = await token({ scope: 'okta.users.read okta.groups.read', client_assertion: await assertion('0oaRSA', rsa.privateKey, 'RS256') })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'okta.users.read okta.groups.read' })
    const users = await get<Json[]>(sim, '/api/v1/users?limit=1', { auth: `Bearer ${r.body.access_token}` })
    expect(users.status).toBe(200)
    const e = await token({ scope: ALL.join(' '), client_assertion: await assertion('0oaEC', ec.privateKey, 'ES256') })
    expect(e.status).toBe(200)
    expect((await get(sim, '/api/v1/logs', { auth: `Bearer ${e.body.access_token}` })).status).toBe(200)
  })

  it('rejects bad assertions with invalid_client and unknown scopes with invalid_scope', async () => {
    const now = Math.floor(Date.now() / 1000)
    const cases = [
      await assertion('0oaRSA', other.privateKey, 'RS256'),
      await assertion('0oaRSA', rsa.privateKey, 'RS256', { aud: 'https://elsewhere.example.com/oauth2/v1/token' }),
      await assertion('0oaRSA', rsa.privateKey, 'RS256', { exp: now - 120 }),
      await assertion('0oaNOPE', rsa.privateKey, 'RS256'),
      'not.a.jwt',
    ]
    for (const a of cases) {
      const r = await token({ scope: 'okta.users.read', client_assertion: a })
      expect(r.status).toBe(401)
      expect(r.body.error).toBe('invalid_client')
      expect(typeof r.body.error_description).toBe('string')
    }
    const scope = await token({ scope: 'okta.logs.read', client_assertion: await assertion('0oaRSA', rsa.privateKey, 'RS256') })
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } })
  })

  it('accepts a client assertion once: the same assertion again is 401 invalid_client, as Okta answers', async () => {
    const once = await assertion('0oaRSA', rsa.privateKey, 'RS256')
    expect((await token({ scope: 'okta.users.read', client_assertion: once })).status).toBe(200)
    expect(await token({ scope: 'okta.users.read', client_assertion: once })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client', error_description: 'The client_assertion token has already been used.' },
    })
  })

  it('enforces scopes with 403 E0000006 and a WWW-Authenticate insufficient_scope challenge', async () => {
    const r = await token({ scope: 'okta.groups.read', client_assertion: await assertion('0oaRSA', rsa.privateKey, 'RS256') })
    const res = await get<Json>(sim, '/api/v1/users', { auth: `Bearer ${r.body.access_token}` })
    expect(res.status).toBe(403)
    expect(res.body.errorCode).toBe('E0000006')
    const challenge = res.headers.get('www-authenticate')!
    expect(challenge).toMatch(/^Bearer /)
    expect(challenge).toContain('error="insufficient_scope"')
    expect(challenge).toContain('scope="okta.users.read"')
    expect((await get(sim, '/api/v1/groups', { auth: `Bearer ${r.body.access_token}` })).status).toBe(200)
    const scoped = await get<Json>(sim, '/api/v1/apps', { token: 'users-only' })
    expect(scoped.status).toBe(403)
    expect(scoped.headers.get('www-authenticate')).toContain('scope="okta.apps.read"')
    expect((await get(sim, '/api/v1/users', { token: 'users-only' })).status).toBe(200)
  })

  it('answers 401 E0000011 for unknown SSWS tokens and for expired access tokens', async () => {
    const bad = await get<Json>(sim, '/api/v1/users', { token: 'nope' })
    expect(bad.status).toBe(401)
    expect(bad.body).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
    const r = await token({ scope: 'okta.users.read', client_assertion: await assertion('0oaRSA', rsa.privateKey, 'RS256') })
    const auth = `Bearer ${r.body.access_token}`
    expect((await get(sim, '/api/v1/users', { auth })).status).toBe(200)
    sim.expireAccessTokens()
    const expired = await get<Json>(sim, '/api/v1/users', { auth })
    expect(expired.status).toBe(401)
    expect(expired.body.errorCode).toBe('E0000011')
  })

  it('expires access tokens after their lifetime', async () => {
    const s = await startSimulator({ size: { users: 5 }, accessTokenTtlSeconds: 1, oauthClients: [{ clientId: '0oaRSA', publicKey: await exportSPKI(rsa.publicKey), scopes: ALL }] })
    try {
      const now = Math.floor(Date.now() / 1000)
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer('0oaRSA').setSubject('0oaRSA')
        .setAudience(`${s.url}/oauth2/v1/token`).setExpirationTime(now + 60).sign(rsa.privateKey)
      const res = await fetch(`${s.url}/oauth2/v1/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'okta.users.read', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt }),
      })
      const body = (await res.json()) as Json
      expect(body.expires_in).toBe(1)
      await new Promise((r) => setTimeout(r, 1100))
      expect((await get(s, '/api/v1/users', { auth: `Bearer ${body.access_token}` })).status).toBe(401)
    } finally {
      await s.close()
    }
  })
})
