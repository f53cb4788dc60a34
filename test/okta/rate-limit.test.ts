import { describe, expect, it } from 'vitest'
import { OktaHttpClient, OktaRateLimitError, type OktaClientConfig } from '../../src/okta/index.ts'
import { ServerClock } from '../../src/okta/rate-limit.ts'
import { oktaError, recordingLogger, sendJson, sleep, startServer, closedAfterEach } from './helpers.ts'

const { track } = closedAfterEach()

function client(url: string, extra: Partial<OktaClientConfig> = {}): OktaHttpClient {
  const c = new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: 'tok' }, retryBaseDelayMs: 20, retryMaxDelayMs: 200, ...extra })
  return track(c)
}

/**
 * Okta-like fixed windows: a window opens with the first request after the previous one ended and
 * lasts `windowMs`; over `limit` → 429 E0000047. `skewMs` shifts the server's clock (its `Date`
 * and `Reset`) relative to ours.
 */
function windowedServer(limit: number, windowMs: number, skewMs = 0) {
  let windowEnd = 0
  let count = 0
  const windows: Array<{ start: number; count: number; rejected: number }> = []
  const handle = (res: Parameters<typeof sendJson>[0]): void => {
    const now = Date.now()
    if (now >= windowEnd) {
      windowEnd = now + windowMs
      count = 0
      windows.push({ start: now, count: 0, rejected: 0 })
    }
    count++
    const w = windows[windows.length - 1]!
    const serverNow = now + skewMs
    const headers = {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - count)),
      'x-rate-limit-reset': String(Math.ceil((windowEnd + skewMs) / 1000)),
      date: new Date(serverNow).toUTCString(),
    }
    if (count > limit) {
      w.rejected++
      sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), headers)
      return
    }
    w.count++
    sendJson(res, 200, [{ id: 'x' }], headers)
  }
  return { windows, handle }
}

describe('rate-limit pacing', () => {
  it('sends at most floor(limit × share) requests per server window, counted on the server', async () => {
    const limiter = windowedServer(10, 1000)
    const server = await startServer((_req, res) => limiter.handle(res))
    track(server)
    const c = client(server.url, { maxInFlight: 4, rateLimitShare: 0.9 })
    await Promise.all(Array.from({ length: 20 }, () => c.get('/api/v1/users')))
    expect(server.requests).toHaveLength(20)
    expect(limiter.windows.length).toBeGreaterThanOrEqual(3)
    for (const w of limiter.windows) {
      expect(w.rejected).toBe(0)
      expect(w.count).toBeLessThanOrEqual(9)
    }
    const s = c.stats().buckets['users']
    expect(s).toMatchObject({ requests: 20, rateLimited: 0, limit: 10 })
    expect(s!.waitMs).toBeGreaterThan(0)
  }, 20_000)

  it('spreads the second half of the budget over the window instead of bursting', async () => {
    const limiter = windowedServer(20, 3000)
    const server = await startServer((_req, res) => limiter.handle(res))
    track(server)
    const c = client(server.url, { maxInFlight: 4, rateLimitShare: 0.5 })
    // Budget 10: the first 5 go at once, the next 5 are paced over the rest of the window.
    await Promise.all(Array.from({ length: 10 }, () => c.get('/api/v1/groups')))
    const at = server.requests.map((r) => r.at)
    expect(at[4]! - at[0]!).toBeLessThan(300)
    expect(at[9]! - at[5]!).toBeGreaterThan(1000)
    expect(limiter.windows.every((w) => w.rejected === 0)).toBe(true)
  }, 20_000)

  it('on 429 E0000047 waits for X-Rate-Limit-Reset measured by the server’s Date, even when the clocks disagree by an hour', async () => {
    const run = async (skewMs: number): Promise<void> => {
      let resetAt = 0
      const server = await startServer((req, res) => {
        const serverNow = Date.now() + skewMs
        if (req.n === 1) {
          resetAt = Date.now() + 1500
          sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), {
            'x-rate-limit-limit': '50',
            'x-rate-limit-remaining': '0',
            'x-rate-limit-reset': String(Math.ceil((resetAt + skewMs) / 1000)),
            date: new Date(serverNow).toUTCString(),
            'x-okta-request-id': 'rl-1',
          })
          return
        }
        sendJson(res, 200, [], { 'x-rate-limit-limit': '50', 'x-rate-limit-remaining': '49', 'x-rate-limit-reset': String(Math.ceil((Date.now() + skewMs + 60_000) / 1000)), date: new Date(serverNow).toUTCString() })
      })
      track(server)
      const { logger, events } = recordingLogger()
      const c = client(server.url, { logger })
      await c.get('/api/v1/logs')
      expect(server.requests).toHaveLength(2)
      // Not before the reset; and not an hour late (the test would time out).
      expect(server.requests[1]!.at).toBeGreaterThanOrEqual(resetAt)
      // Worst case past the reset: 1 s of Reset rounding, 1 s of Date truncation, margin, jitter.
      expect(server.requests[1]!.at - server.requests[0]!.at).toBeLessThan(5500)
      expect(c.stats().buckets['logs']).toMatchObject({ rateLimited: 1, retries: 1 })
      const rl = events.find((e) => e.event === 'okta.rate_limited')
      expect(rl).toMatchObject({ level: 'warn', bucket: 'logs', status: 429, errorCode: 'E0000047', requestId: 'rl-1' })
    }
    await Promise.all([run(3_600_000), run(-3_600_000)])
  }, 20_000)

  it('backs off exponentially on concurrency 429s (X-Rate-Limit-Limit: 0)', async () => {
    const server = await startServer((req, res) => {
      if (req.n <= 3) {
        sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), {
          'x-rate-limit-limit': '0',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 30),
          date: new Date().toUTCString(),
        })
        return
      }
      sendJson(res, 200, [])
    })
    track(server)
    const c = client(server.url, { retryBaseDelayMs: 100, retryMaxDelayMs: 10_000 })
    await c.get('/api/v1/users')
    const at = server.requests.map((r) => r.at)
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!]
    // Jittered halves of 100, 200, 400 ms; never the 30 s the Reset header claims.
    expect(gaps[0]).toBeGreaterThanOrEqual(45)
    expect(gaps[2]).toBeGreaterThanOrEqual(195)
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!)
    expect(at[3]! - at[0]!).toBeLessThan(2000)
    expect(c.stats().buckets['users']).toMatchObject({ concurrencyLimited: 3, rateLimited: 0, retries: 3, limit: null })
  })

  it('gives up on a 429 storm after maxRetries with OktaRateLimitError', async () => {
    const server = await startServer((_req, res) =>
      sendJson(res, 429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), { 'x-rate-limit-limit': '0' }),
    )
    track(server)
    const c = client(server.url, { maxRetries: 2 })
    const err = await c.get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OktaRateLimitError)
    expect(err).toMatchObject({ code: 'ERR_OKTA_RATE_LIMIT', concurrency: true, attempts: 3, retryable: true })
    expect((err as Error).message).toBe(
      'Okta GET /api/v1/users failed after 3 attempts: 429 E0000047 API call exceeded rate limit due to too many requests. (concurrent request limit)',
    )
  })

  it('keeps at most maxInFlight requests in flight across buckets', async () => {
    const server = await startServer(async (_req, res) => {
      await sleep(40)
      sendJson(res, 200, [])
    })
    track(server)
    const c = client(server.url, { maxInFlight: 3 })
    const paths = ['/api/v1/users', '/api/v1/groups', '/api/v1/apps', '/api/v1/logs']
    await Promise.all(Array.from({ length: 24 }, (_, i) => c.get(paths[i % paths.length]!)))
    expect(server.requests).toHaveLength(24)
    expect(server.maxConcurrent).toBe(3)
  })

  it('waiting on one exhausted bucket does not hold up another', async () => {
    const server = await startServer((req, res) => {
      if (req.url.startsWith('/api/v1/apps')) {
        sendJson(res, 200, [], {
          'x-rate-limit-limit': '2',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 1),
          date: new Date().toUTCString(),
        })
        return
      }
      sendJson(res, 200, [])
    })
    track(server)
    const c = client(server.url, { maxInFlight: 2 })
    await c.get('/api/v1/apps')
    const blocked = c.get('/api/v1/apps/0oa1/users')
    const t0 = Date.now()
    await Promise.all(Array.from({ length: 6 }, () => c.get('/api/v1/users')))
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(server.requests.filter((r) => r.url.startsWith('/api/v1/apps'))).toHaveLength(1)
    await blocked
    expect(c.stats().buckets['apps']!.waitMs).toBeGreaterThan(1000)
  }, 10_000)
})

describe('ServerClock', () => {
  it('narrows the server offset from second-resolution Date headers', () => {
    const clock = new ServerClock()
    // True offset: server is 12 345.6 s ahead.
    const offset = 12_345_600
    for (let local = 1_000_000; local < 1_004_000; local += 70) {
      const server = local + offset
      clock.observe(Math.floor(server / 1000) * 1000, local - 2, local + 2)
    }
    expect(clock.offsetMs).toBeLessThanOrEqual(offset)
    expect(clock.offsetMs).toBeGreaterThan(offset - 100)
    expect(clock.toLocal(2_000_000 + offset)).toBeGreaterThanOrEqual(2_000_000)
  })
})
