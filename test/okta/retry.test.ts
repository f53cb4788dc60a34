import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  OktaApiError,
  OktaHttpClient,
  OktaNetworkError,
  OktaTimeoutError,
  type OktaClientConfig,
} from '../../src/okta/index.ts'
import { oktaError, recordingLogger, sendJson, startServer, type ScriptedServer, closedAfterEach } from './helpers.ts'

const { track } = closedAfterEach()

function client(url: string, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  const c = new OktaHttpClient({
    orgUrl: url,
    auth: { type: 'ssws', token: 'tok' },
    retryBaseDelayMs: 20,
    retryMaxDelayMs: 100,
    ...extra,
  })
  return track(c)
}

const OK = [{ id: 'u1' }]

/** Fails the first `n` requests with `fail`, then answers OK. */
async function failThenOk(n: number, fail: Parameters<typeof startServer>[0]): Promise<ScriptedServer> {
  const server = await startServer((req, res, raw) => {
    if (req.n <= n) return fail(req, res, raw)
    sendJson(res, 200, OK, { 'x-okta-request-id': `ok-${req.n}` })
  })
  track(server)
  return server
}

describe('retries', () => {
  const faults: Array<[string, Parameters<typeof startServer>[0]]> = [
    ['500 E0000009', (req, res) => sendJson(res, 500, oktaError('E0000009', 'Internal Server Error'), { 'x-okta-request-id': `r${req.n}` })],
    ['502 without a body', (_req, res) => { res.writeHead(502); res.end() }],
    ['503 E0000010', (_req, res) => sendJson(res, 503, oktaError('E0000010', 'Service is in read only mode'))],
    ['a reset connection', (_req, _res, raw) => { raw.socket.destroy() }],
    ['a body cut short (Content-Length not met)', (_req, res, raw) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' })
      res.write('[{"id":"u1","pro')
      setTimeout(() => raw.socket.destroy(), 10)
    }],
    ['a truncated JSON body (chunked, ends cleanly)', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[{"id":"u1","profile":{"login":"a@')
    }],
  ]

  for (const [name, fail] of faults) {
    it(`retries after ${name} and then succeeds`, async () => {
      const server = await failThenOk(2, fail)
      const { logger, events } = recordingLogger()
      const c = client(server.url, { logger })
      await expect(c.get('/api/v1/users')).resolves.toEqual(OK)
      expect(server.requests).toHaveLength(3)
      const s = c.stats().buckets['users']
      expect(s?.requests).toBe(3)
      expect(s?.retries).toBe(2)
      expect(events.filter((e) => e.event === 'okta.retry')).toHaveLength(2)
    })
  }

  it('retries a request that gets no answer within requestTimeoutMs', async () => {
    const server = await failThenOk(1, () => {
      /* never answer */
    })
    const c = client(server.url, { requestTimeoutMs: 300 })
    const t0 = Date.now()
    await expect(c.get('/api/v1/groups')).resolves.toEqual(OK)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280)
    expect(server.requests).toHaveLength(2)
    expect(c.stats().buckets['groups']?.retries).toBe(1)
  })

  it('marks retries with X-Okta-Retry-For / X-Okta-Retry-Count like Okta SDKs', async () => {
    const server = await failThenOk(2, (req, res) => sendJson(res, 500, oktaError('E0000009', 'x'), { 'x-okta-request-id': `r${req.n}` }))
    const c = client(server.url)
    await c.get('/api/v1/users')
    expect(server.requests[0]?.headers['x-okta-retry-count']).toBeUndefined()
    expect(server.requests[1]?.headers['x-okta-retry-for']).toBe('r1')
    expect(server.requests[2]?.headers['x-okta-retry-for']).toBe('r2')
    expect(server.requests[2]?.headers['x-okta-retry-count']).toBe('2')
  })

  it('gives up after maxRetries and says why and how often it tried', async () => {
    const server = await startServer((req, res) =>
      sendJson(res, 503, oktaError('E0000010', 'Service is in read only mode'), { 'x-okta-request-id': `req-${req.n}` }),
    )
    track(server)
    const c = client(server.url, { maxRetries: 2 })
    const err = await c.get('/api/v1/users?limit=200').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaApiError)
    expect((err as OktaApiError).message).toBe(
      'Okta GET /api/v1/users failed after 3 attempts: 503 E0000010 Service is in read only mode (request id req-3)',
    )
    expect(err).toMatchObject({ code: 'ERR_OKTA_API', status: 503, errorCode: 'E0000010', requestId: 'req-3', attempts: 3, retryable: true, exitCode: 1 })
    expect(server.requests).toHaveLength(3)
  })

  it('gives up on timeouts with a timeout error', async () => {
    const server = await startServer(() => {
      /* never answer */
    })
    track(server)
    const c = client(server.url, { maxRetries: 1, requestTimeoutMs: 150 })
    const err = await c.get('/api/v1/logs').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaTimeoutError)
    expect((err as Error).message).toBe('Okta GET /api/v1/logs failed after 2 attempts: timed out after 150 ms')
    expect(server.requests).toHaveLength(2)
  })

  it('gives up on connection failures with a network error', async () => {
    const server = await startServer((_req, _res, raw) => { raw.socket.destroy() })
    track(server)
    const c = client(server.url, { maxRetries: 1 })
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaNetworkError)
    expect(err).toMatchObject({ code: 'ERR_OKTA_NETWORK', attempts: 2, retryable: true })
    expect((err as Error).message).toMatch(/^Okta GET \/api\/v1\/users failed after 2 attempts: connection/)
  })

  it('network and timeout errors carry no credential', async () => {
    const secret = 'SSWS-SECRET-tok-0123456789'
    const reset = await startServer((_req, _res, raw) => { raw.socket.destroy() })
    const hang = await startServer(() => {
      /* never answer */
    })
    track(reset)
    track(hang)
    const { logger, events } = recordingLogger()
    for (const server of [reset, hang]) {
      const c = client(server.url, { auth: { type: 'ssws', token: secret }, maxRetries: 1, requestTimeoutMs: 100, logger })
      const err = await c.get('/api/v1/users').catch((e: unknown) => e)
      expect(err).toHaveProperty('code')
      const text = JSON.stringify(err) + inspect(err, { depth: 20, showHidden: true }) + String((err as Error).stack)
      expect(text).not.toContain(secret)
    }
    expect(events.length).toBeGreaterThan(0)
    expect(inspect(events, { depth: 20 })).not.toContain(secret)
  })

  it('a closed client refuses new requests', async () => {
    const server = await failThenOk(0, () => undefined)
    const c = client(server.url)
    await c.close()
    await expect(c.get('/api/v1/users')).rejects.toMatchObject({ code: 'ERR_OKTA_CLIENT_CLOSED' })
    expect(server.requests).toHaveLength(0)
  })

  it('does not retry a 400 or 404: terminal, with Okta’s code', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 400, oktaError('E0000031', 'Invalid search criteria.'), { 'x-okta-request-id': 'abc' }),
    )
    track(server)
    const c = client(server.url)
    const err = await c.get('/api/v1/users', { query: { search: 'bogus' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaApiError)
    expect((err as Error).message).toBe('Okta GET /api/v1/users failed: 400 E0000031 Invalid search criteria. (request id abc)')
    expect(err).toMatchObject({ retryable: false, attempts: 1 })
    expect(server.requests).toHaveLength(1)
  })

  it('stops waiting when the caller aborts', async () => {
    const server = await startServer(() => {
      /* never answer */
    })
    track(server)
    const c = client(server.url)
    const ac = new AbortController()
    setTimeout(() => ac.abort(new Error('stop')), 100)
    await expect(c.get('/api/v1/users', { signal: ac.signal })).rejects.toThrow('stop')
    expect(server.requests).toHaveLength(1)
  })
})
