/**
 * Every wait is bounded and honestly reported: a rate-limit reset in the year 3000 or a 429 an hour
 * away fails the request (`okta.maxWaitSeconds`) instead of hanging, no timer ever overflows, and
 * "waited" is wall-clock blocked time, never a sum over concurrent requests.
 */
import { describe, expect, it } from 'vitest'
import { OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'
import { WaitClock } from '../../src/okta/wait-clock.ts'
import { closedAfterEach, oktaError, sendJson, sleep, startServer } from './helpers.ts'

const { track } = closedAfterEach()

function client(url: string, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  return track(new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: 'tok' }, retryBaseDelayMs: 10, retryMaxDelayMs: 100, ...extra }))
}

/** Collects the process warnings emitted while `fn` runs (TimeoutOverflowWarning among them). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  const onWarning = (w: Error): void => {
    seen.push(`${w.name}: ${w.message}`)
  }
  process.on('warning', onWarning)
  try {
    await fn()
    // Warnings are emitted on the next tick.
    await sleep(20)
  } finally {
    process.off('warning', onWarning)
  }
  return seen
}

const YEAR_3000 = String(Date.UTC(3000, 0, 1) / 1000)

describe('a wait beyond okta.maxWaitSeconds fails the request with the reason', () => {
  it('X-Rate-Limit-Reset in the year 3000 on a spent bucket: fails at once, no TimeoutOverflowWarning', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 200, [{ id: 'u1' }], { 'x-rate-limit-limit': '10', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': YEAR_3000 }),
    )
    track(server)
    const c = client(server.url)
    const t0 = Date.now()
    const warnings = await warningsDuring(async () => {
      await c.get('/api/v1/users')
      const err = await c.get('/api/v1/users').catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ERR_OKTA_WAIT_TOO_LONG', exitCode: 1, retryable: false })
      expect((err as Error).message).toMatch(
        /^Okta GET \/api\/v1\/users failed: rate-limit bucket users would wait until 3000-01-01T00:00:0\d\.\d{3}Z, longer than okta\.maxWaitSeconds \(300 s\)$/,
      )
    })
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(warnings.filter((w) => w.includes('TimeoutOverflow'))).toEqual([])
    expect(server.requests).toHaveLength(1)
  })

  it('a 429 whose reset is an hour away fails naming the 429, after one request', async () => {
    const server = await startServer((req, res) =>
      sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), {
        'x-rate-limit-limit': '600',
        'x-rate-limit-remaining': '0',
        'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
        'x-okta-request-id': `r${req.n}`,
      }),
    )
    track(server)
    const c = client(server.url, { maxWaitSeconds: 120 })
    const t0 = Date.now()
    const err = await c.get('/api/v1/logs').catch((e: unknown) => e)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(err).toMatchObject({ code: 'ERR_OKTA_WAIT_TOO_LONG', status: 429, errorCode: 'E0000047', requestId: 'r1' })
    expect((err as Error).message).toMatch(/^Okta GET \/api\/v1\/logs failed: 429 E0000047 .*\(rate-limit bucket logs would wait until .*, longer than okta\.maxWaitSeconds \(120 s\)\) \(request id r1\)$/)
    expect(server.requests).toHaveLength(1)
    expect(c.stats().buckets['logs']?.rateLimited).toBe(1)
  })

  it('a reset within the cap is still waited for', async () => {
    let first = true
    const server = await startServer((_req, res) => {
      if (first) {
        first = false
        sendJson(res, 429, oktaError('E0000047', 'rate limit'), { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 1) })
      } else sendJson(res, 200, [{ id: 'u1' }])
    })
    track(server)
    const c = client(server.url, { maxWaitSeconds: 5 })
    await expect(c.get('/api/v1/users')).resolves.toEqual([{ id: 'u1' }])
    expect(server.requests).toHaveLength(2)
  })

  it('maxWaitSeconds is validated with the one set of bounds', () => {
    expect(() => new OktaHttpClient({ orgUrl: 'https://acme.okta.com', auth: { type: 'ssws', token: 't' }, maxWaitSeconds: 0 })).toThrow(
      /option maxWaitSeconds: must be a number from 1 to 86400/,
    )
    expect(() => new OktaHttpClient({ orgUrl: 'https://acme.okta.com', auth: { type: 'ssws', token: 't' }, maxWaitSeconds: 10 ** 9 })).toThrow(/maxWaitSeconds/)
  })
})

describe('"waited" is wall-clock blocked time', () => {
  it('four requests blocked by the same reset count the reset once, per bucket, in total and for the caller', async () => {
    let n = 0
    const resetAt = Math.ceil(Date.now() / 1000) + 2
    const server = await startServer((_req, res) => {
      n++
      const headers = { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(resetAt) }
      if (n <= 4) sendJson(res, 429, oktaError('E0000047', 'rate limit'), headers)
      else sendJson(res, 200, [{ id: 'u1' }])
    })
    track(server)
    const c = client(server.url, { maxInFlight: 4 })
    const waits = new WaitClock()
    // The first request probes the bucket alone; the others wait for its answer, then all for the reset.
    const t0 = Date.now()
    await Promise.all(Array.from({ length: 4 }, () => c.get('/api/v1/users', { waits })))
    const elapsed = Date.now() - t0
    const s = c.stats()
    expect(s.buckets['users']?.rateLimited).toBeGreaterThanOrEqual(1)
    expect(s.buckets['users']!.waitMs).toBeGreaterThan(500)
    expect(s.buckets['users']!.waitMs).toBeLessThanOrEqual(elapsed)
    expect(s.total.waitMs).toBeLessThanOrEqual(elapsed)
    expect(waits.totalMs).toBeLessThanOrEqual(elapsed)
    expect(waits.totalMs).toBeGreaterThan(500)
  })

  it('WaitClock counts the union of overlapping waits', () => {
    let now = 0
    const clock = new WaitClock(() => now)
    const a = clock.begin()
    now = 10
    const b = clock.begin()
    now = 30
    a()
    now = 50
    b()
    b()
    expect(clock.totalMs).toBe(50)
    now = 100
    const c = clock.begin()
    now = 110
    expect(clock.totalMs).toBe(60)
    c()
    expect(clock.totalMs).toBe(60)
  })
})
