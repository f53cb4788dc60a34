/**
 * Responses no Okta sends but proxies and load balancers do: each gets one clear line and no
 * pointless retry (the pure verdicts are in classify.test.ts; this is the same over real HTTP).
 */
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { OktaHttpClient } from '../../src/okta/index.ts'
import { closedAfterEach, sendJson, startServer } from './helpers.ts'

const { track } = closedAfterEach()
const client = (url: string) => track(new OktaHttpClient({ orgUrl: url, auth: { type: 'ssws', token: 'SECRET-tok' }, retryBaseDelayMs: 10 }))

describe('odd responses', () => {
  it('a gzip body without Content-Encoding: one line naming it, not retried', async () => {
    const server = await startServer((_req, res) => {
      const body = gzipSync('[{"id":"u1"}]')
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    })
    track(server)
    const err = await client(server.url).get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_OKTA_RESPONSE', exitCode: 1 })
    expect((err as Error).message).toMatch(/gzip-compressed but the response has no Content-Encoding header/)
    expect(server.requests).toHaveLength(1)
  })

  it('a redirect to another host: named with its Location, not followed (the token never goes there)', async () => {
    const elsewhere = await startServer((_req, res) => sendJson(res, 200, []))
    track(elsewhere)
    const server = await startServer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/api/v1/users?after=x` })
      res.end()
    })
    track(server)
    const err = await client(server.url).get('/api/v1/users').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_OKTA_REDIRECT', status: 307, location: `${elsewhere.url}/api/v1/users` })
    expect((err as Error).message).toBe(`Okta GET /api/v1/users failed: 307 (redirect to ${elsewhere.url}/api/v1/users, not followed; set okta.orgUrl to the org's own URL)`)
    expect(server.requests).toHaveLength(1)
    expect(elsewhere.requests).toHaveLength(0)
  })
})
