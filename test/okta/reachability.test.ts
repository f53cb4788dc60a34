/**
 * An org that cannot be reached fails in seconds with one typed line (`OktaUnreachableError`,
 * also what `okta-elt check` reports), and once known unreachable every other request of the
 * client stops at once instead of retrying on its own.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { OktaHttpClient, OktaUnreachableError, type OktaClientConfig } from '../../src/okta/index.ts'
import { closedAfterEach, sendJson, startServer } from './helpers.ts'

const { track } = closedAfterEach()

function client(url: string, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  // Default retries (6): the point is that they are not spent on an org that never answered.
  return track(new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: 'tok' }, ...extra }))
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

describe('an unreachable org', () => {
  it('connection refused: fails at the first request, in well under a second, not after 7 attempts', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const c = client(url)
    const t0 = Date.now()
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(err).toBeInstanceOf(OktaUnreachableError)
    expect(err).toMatchObject({ code: 'ERR_OKTA_UNREACHABLE', exitCode: 2, networkCode: 'ECONNREFUSED', orgUrl: url })
    expect((err as Error).message).toMatch(
      new RegExp(`^Okta org ${url.replace(/[.]/g, '\\.')} is unreachable: connection failed: ECONNREFUSED .*\\(GET /api/v1/users; check okta\\.orgUrl, DNS, proxy and firewall\\)$`),
    )
    expect(c.stats().total.retries).toBe(0)
  })

  it('never-answered requests count over the whole client: resources timing out together fail at the first wave', async () => {
    const server = await startServer(() => {
      /* never answer */
    })
    track(server)
    const c = client(server.url, { requestTimeoutMs: 300, maxInFlight: 4 })
    const t0 = Date.now()
    const errors = await Promise.all(['/api/v1/users', '/api/v1/groups', '/api/v1/apps', '/api/v1/logs'].map((p) => c.get(p).catch((e: unknown) => e)))
    // The first wave times out at 300 ms; the request that timed out first sleeps out its backoff, then stops.
    expect(Date.now() - t0).toBeLessThan(2500)
    for (const err of errors) expect(err).toBeInstanceOf(OktaUnreachableError)
    expect(server.requests.length).toBeLessThanOrEqual(5)
  })

  it('a name that does not resolve (DNS): fails at once, typed, naming the code', async () => {
    // `.invalid` never resolves (RFC 6761).
    const c = client('https://okta-elt-test.invalid')
    const t0 = Date.now()
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(err).toBeInstanceOf(OktaUnreachableError)
    expect((err as OktaUnreachableError).networkCode).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/)
    expect((err as Error).message).toMatch(/^Okta org https:\/\/okta-elt-test\.invalid is unreachable: connection failed: (ENOTFOUND|EAI_AGAIN) /)
  })

  it('once known unreachable, the other requests (other resources, other buckets) fail at once with the same error', async () => {
    const c = client(`http://127.0.0.1:${await closedPort()}`)
    const first = await c.get('/api/v1/users').catch((e: unknown) => e)
    const t0 = Date.now()
    const others = await Promise.all(['/api/v1/groups', '/api/v1/apps', '/api/v1/logs'].map((p) => c.get(p).catch((e: unknown) => e)))
    expect(Date.now() - t0).toBeLessThan(200)
    for (const err of others) expect(err).toBe(first)
    expect(c.stats().total.requests).toBe(1)
  })

  it('an org that accepts connections but never answers: fails after three request timeouts, not seven', async () => {
    const server = await startServer(() => {
      /* never answer */
    })
    track(server)
    const c = client(server.url, { requestTimeoutMs: 300, retryBaseDelayMs: 10 })
    const t0 = Date.now()
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(err).toMatchObject({ code: 'ERR_OKTA_UNREACHABLE', networkCode: 'ETIMEDOUT' })
    expect((err as Error).message).toMatch(/is unreachable: no answer to 3 requests within 300 ms each \(GET \/api\/v1\/users;/)
    expect(server.requests).toHaveLength(3)
  })

  it('an org that answered once is not "unreachable" when a later connection is refused: retried as usual', async () => {
    let refuse = false
    const server = await startServer((_req, res, raw) => {
      if (refuse) raw.socket.destroy()
      else sendJson(res, 200, [{ id: 'u1' }])
    })
    track(server)
    const c = client(server.url, { maxRetries: 1, retryBaseDelayMs: 10 })
    await c.get('/api/v1/users')
    refuse = true
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_OKTA_NETWORK', attempts: 2 })
  })
})
