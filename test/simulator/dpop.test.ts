/**
 * The simulator enforces DPoP (RFC 9449 as Okta does it, ../shared/okta-api.md §8.6) for a service
 * app registered with `requireDpop`: every rejection a mis-built or stolen proof must get, asserted
 * one by one with proofs signed here by hand (jose), over real HTTP.
 */
import { createHash, randomUUID } from 'node:crypto'
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import type { Json } from './helpers.ts'

const DPOP_APP = '0oaDPOP'
const BEARER_APP = '0oaBEARER'
let sim: Simulator
let clientKey: Awaited<ReturnType<typeof generateKeyPair>>
/** The proof key a token gets bound to, and a thief's key. */
let proofKey: Awaited<ReturnType<typeof generateKeyPair>>
let otherKey: Awaited<ReturnType<typeof generateKeyPair>>

beforeAll(async () => {
  clientKey = await generateKeyPair('RS256')
  proofKey = await generateKeyPair('ES256')
  otherKey = await generateKeyPair('ES256')
  const publicKey = await exportSPKI(clientKey.publicKey)
  sim = await startSimulator({
    size: { users: 12 },
    oauthClients: [
      { clientId: DPOP_APP, publicKey, scopes: ['okta.users.read'], requireDpop: true },
      { clientId: BEARER_APP, publicKey, scopes: ['okta.users.read'] },
    ],
  })
})
afterAll(async () => {
  await sim.close()
})

const tokenUrl = (): string => `${sim.url}/oauth2/v1/token`
const usersUrl = (): string => `${sim.url}/api/v1/users`

async function assertion(clientId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl())
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(clientKey.privateKey)
}

interface ProofOptions {
  key?: { privateKey: CryptoKey; publicKey: CryptoKey }
  /** The key whose public half goes in the header (default: `key`'s). */
  headerKey?: CryptoKey
  typ?: string
  htm?: string
  htu?: string
  iat?: number
  jti?: string | null
  nonce?: string
  accessToken?: string
  ath?: string
}

async function proof(o: ProofOptions): Promise<string> {
  const key = o.key ?? proofKey
  const { kty, crv, x, y } = await exportJWK(o.headerKey ?? key.publicKey)
  const claims: Record<string, unknown> = { htm: o.htm ?? 'GET', htu: o.htu ?? usersUrl(), iat: o.iat ?? Math.floor(Date.now() / 1000) }
  if (o.jti !== null) claims['jti'] = o.jti ?? randomUUID()
  if (o.nonce !== undefined) claims['nonce'] = o.nonce
  if (o.ath !== undefined) claims['ath'] = o.ath
  else if (o.accessToken !== undefined) claims['ath'] = createHash('sha256').update(o.accessToken).digest('base64url')
  return new SignJWT(claims).setProtectedHeader({ typ: o.typ ?? 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } as JWK }).sign(key.privateKey)
}

async function tokenRequest(clientId: string, dpop?: string | string[]): Promise<{ status: number; body: Json; nonce: string | null }> {
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' })
  for (const p of typeof dpop === 'string' ? [dpop] : (dpop ?? [])) headers.append('dpop', p)
  const res = await fetch(tokenUrl(), {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'okta.users.read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(clientId),
    }),
  })
  return { status: res.status, body: (await res.json()) as Json, nonce: res.headers.get('dpop-nonce') }
}

/** The current server nonce: what a proof without one is answered with. */
async function currentNonce(): Promise<string> {
  const r = await tokenRequest(DPOP_APP, await proof({ htm: 'POST', htu: tokenUrl() }))
  expect(r).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' } })
  return r.nonce!
}

/** A DPoP-bound access token for `proofKey`, after the nonce handshake. */
async function boundToken(): Promise<string> {
  const r = await tokenRequest(DPOP_APP, await proof({ htm: 'POST', htu: tokenUrl(), nonce: await currentNonce() }))
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  expect(r.body.token_type).toBe('DPoP')
  return r.body.access_token as string
}

async function resource(url: string, auth: string, dpop?: string | string[], method = 'GET'): Promise<{ status: number; body: Json; challenge: string | null }> {
  const headers = new Headers({ accept: 'application/json', authorization: auth })
  for (const p of typeof dpop === 'string' ? [dpop] : (dpop ?? [])) headers.append('dpop', p)
  const res = await fetch(url, { method, headers })
  return { status: res.status, body: (await res.json()) as Json, challenge: res.headers.get('www-authenticate') }
}

const invalidProof = (description: string) => ({ status: 400, body: { error: 'invalid_dpop_proof', error_description: description } })

describe('token endpoint of an app that requires DPoP', () => {
  it('without a proof: 400 invalid_dpop_proof "The DPoP proof JWT header is missing."', async () => {
    const r = await tokenRequest(DPOP_APP)
    expect(r).toMatchObject(invalidProof('The DPoP proof JWT header is missing.'))
  })

  it('runs the nonce handshake: 400 use_dpop_nonce + DPoP-Nonce, then a DPoP token bound to the key', async () => {
    const first = await proof({ htm: 'POST', htu: tokenUrl() })
    const challenge = await tokenRequest(DPOP_APP, first)
    expect(challenge).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } })
    const nonce = challenge.nonce!
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/)
    const r = await tokenRequest(DPOP_APP, await proof({ htm: 'POST', htu: tokenUrl(), nonce }))
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ token_type: 'DPoP', expires_in: 3600, scope: 'okta.users.read' })
    // The retry needs a fresh jti: the challenged proof is spent.
    expect(await tokenRequest(DPOP_APP, first)).toMatchObject(invalidProof('The DPoP proof has already been used.'))
  })

  it('refuses a proof with a stale nonce, answering with the current one; a rotated nonce is announced the same way', async () => {
    const before = await currentNonce()
    sim.rotateDpopNonce()
    const r = await tokenRequest(DPOP_APP, await proof({ htm: 'POST', htu: tokenUrl(), nonce: before }))
    expect(r).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } })
    expect(r.nonce).not.toBe(before)
    expect((await tokenRequest(DPOP_APP, await proof({ htm: 'POST', htu: tokenUrl(), nonce: r.nonce! }))).status).toBe(200)
  })

  it.for([
    ['a replayed proof (same jti)', 'The DPoP proof has already been used.'],
    ['a proof for another URL', "The DPoP proof 'htu' does not match the request URL."],
    ['a proof for another method', "The DPoP proof 'htm' does not match the request method."],
    ['a stale iat (6 minutes old)', "The DPoP proof 'iat' is too old."],
    ['an iat in the future', "The DPoP proof 'iat' is in the future."],
    ['typ JWT instead of dpop+jwt', "The DPoP proof JWT 'typ' header must be 'dpop+jwt'."],
    ['a signature by another key than the embedded jwk', 'The DPoP proof JWT signature is invalid.'],
    ['no jti', "The DPoP proof 'jti' is missing."],
    ['two DPoP headers', 'Multiple DPoP proof JWT headers were provided.'],
  ] as const)('refuses %s', async ([name, description]) => {
    const nonce = await currentNonce()
    const base = { htm: 'POST', htu: tokenUrl(), nonce }
    const now = Math.floor(Date.now() / 1000)
    let dpop: string | string[]
    if (name.startsWith('a replayed')) {
      dpop = await proof({ ...base, jti: 'replayed-jti-1' })
      expect((await tokenRequest(DPOP_APP, dpop)).status).toBe(200)
    } else if (name.includes('another URL')) dpop = await proof({ ...base, htu: `${sim.url}/oauth2/default/v1/token` })
    else if (name.includes('another method')) dpop = await proof({ ...base, htm: 'GET' })
    else if (name.includes('stale')) dpop = await proof({ ...base, iat: now - 360 })
    else if (name.includes('future')) dpop = await proof({ ...base, iat: now + 120 })
    else if (name.startsWith('typ')) dpop = await proof({ ...base, typ: 'JWT' })
    else if (name.includes('signature')) dpop = await proof({ ...base, headerKey: otherKey.publicKey })
    else if (name === 'no jti') dpop = await proof({ ...base, jti: null })
    else dpop = [await proof(base), await proof(base)]
    expect(await tokenRequest(DPOP_APP, dpop)).toMatchObject(invalidProof(description))
  })

  it('an app that does not require DPoP still issues Bearer tokens without a proof', async () => {
    const r = await tokenRequest(BEARER_APP)
    expect(r).toMatchObject({ status: 200, body: { token_type: 'Bearer' } })
    expect((await resource(usersUrl(), `Bearer ${r.body.access_token}`)).status).toBe(200)
  })
})

describe('Management API with a DPoP-bound token', () => {
  let token: string
  beforeAll(async () => {
    token = await boundToken()
  })

  it('accepts Authorization: DPoP with a fresh proof for each request (htm, htu without the query, ath)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await resource(`${usersUrl()}?limit=2`, `DPoP ${token}`, await proof({ accessToken: token }))
      expect(r.status, JSON.stringify(r.body)).toBe(200)
      expect(r.body).toHaveLength(2)
    }
  })

  it('without a proof (DPoP or Bearer scheme): 400 invalid_request "The resource request requires a DPoP proof."', async () => {
    for (const auth of [`DPoP ${token}`, `Bearer ${token}`]) {
      const r = await resource(usersUrl(), auth)
      expect(r).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'The resource request requires a DPoP proof.' } })
      expect(r.challenge).toMatch(/^DPoP error="invalid_request"/)
    }
  })

  it.for([
    ['a replayed proof (same jti)', 'The DPoP proof has already been used.'],
    ['a proof for another URL', "The DPoP proof 'htu' does not match the request URL."],
    ['a proof for another method', "The DPoP proof 'htm' does not match the request method."],
    ['a proof signed by another key than the token is bound to', 'The access token is not bound to the key of the DPoP proof.'],
    ['a wrong ath', "The DPoP proof 'ath' does not match the access token."],
    ['no ath', "The DPoP proof 'ath' does not match the access token."],
    ['a stale iat (6 minutes old)', "The DPoP proof 'iat' is too old."],
  ] as const)('refuses %s', async ([name, description]) => {
    const base = { accessToken: token }
    let dpop: string
    if (name.startsWith('a replayed')) {
      dpop = await proof(base)
      expect((await resource(usersUrl(), `DPoP ${token}`, dpop)).status).toBe(200)
    } else if (name.includes('another URL')) dpop = await proof({ ...base, htu: `${sim.url}/api/v1/groups` })
    else if (name.includes('another method')) dpop = await proof({ ...base, htm: 'POST' })
    else if (name.includes('another key')) dpop = await proof({ ...base, key: otherKey })
    else if (name === 'a wrong ath') dpop = await proof({ ...base, ath: createHash('sha256').update(`${token}x`).digest('base64url') })
    else if (name === 'no ath') dpop = await proof({})
    else dpop = await proof({ ...base, iat: Math.floor(Date.now() / 1000) - 360 })
    const r = await resource(usersUrl(), `DPoP ${token}`, dpop)
    expect(r).toMatchObject(invalidProof(description))
    expect(r.challenge).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it('a Bearer token presented with the DPoP scheme is refused', async () => {
    const bearer = (await tokenRequest(BEARER_APP)).body.access_token as string
    const r = await resource(usersUrl(), `DPoP ${bearer}`, await proof({ accessToken: bearer }))
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
  })

  it('a resource nonce, when the server asks for one (RFC 9449 §9): 401 WWW-Authenticate: DPoP error="use_dpop_nonce" + DPoP-Nonce', async () => {
    const strict = await startSimulator({
      size: { users: 3 },
      oauthClients: [{ clientId: DPOP_APP, publicKey: await exportSPKI(clientKey.publicKey), scopes: ['okta.users.read'], requireDpop: true }],
      dpop: { resourceNonce: true },
    })
    try {
      const url = `${strict.url}/api/v1/users`
      const post = async (dpop: string): Promise<Response> =>
        fetch(`${strict.url}/oauth2/v1/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            scope: 'okta.users.read',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(DPOP_APP).setSubject(DPOP_APP).setAudience(`${strict.url}/oauth2/v1/token`).setIssuedAt().setExpirationTime('5m').setJti(randomUUID()).sign(clientKey.privateKey),
          }),
        })
      const first = await post(await proof({ htm: 'POST', htu: `${strict.url}/oauth2/v1/token` }))
      const nonce = first.headers.get('dpop-nonce')!
      const ok = (await (await post(await proof({ htm: 'POST', htu: `${strict.url}/oauth2/v1/token`, nonce }))).json()) as Json
      const t = ok.access_token as string
      const res = await fetch(url, { headers: { authorization: `DPoP ${t}`, dpop: await proof({ htu: url, accessToken: t }) } })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/)
      const resourceNonce = res.headers.get('dpop-nonce')!
      expect(resourceNonce).toBeTruthy()
      const again = await fetch(url, { headers: { authorization: `DPoP ${t}`, dpop: await proof({ htu: url, accessToken: t, nonce: resourceNonce }) } })
      expect(again.status).toBe(200)
    } finally {
      await strict.close()
    }
  })
})
