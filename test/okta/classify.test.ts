/**
 * `classify(response) → ok | retry(after) | unauthorized | fail(error)`: the client's reading of
 * one response, tested without HTTP. The retry loop's behaviour over real sockets is in
 * retry.test.ts and rate-limit.test.ts.
 */
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { classify, type ClassifiedResponse, type ClassifyContext } from '../../src/okta/classify.ts'

const ctx: ClassifyContext = { method: 'GET', path: '/api/v1/users?limit=200', attempt: 1, tokenEndpoint: false, maxResponseBytes: 1 << 20, now: Date.UTC(2026, 0, 1) }

function res(status: number, body: string | Uint8Array, headers: ClassifiedResponse['headers'] = {}): ClassifiedResponse {
  return { status, headers, body: typeof body === 'string' ? new TextEncoder().encode(body) : body }
}

const okta = (code: string, summary: string) => JSON.stringify({ errorCode: code, errorSummary: summary })

describe('classify', () => {
  it('2xx: ok with the parsed body (empty body: null)', () => {
    expect(classify(res(200, '[{"id":"u1"}]'), ctx)).toEqual({ kind: 'ok', json: [{ id: 'u1' }] })
    expect(classify(res(204, ''), ctx)).toEqual({ kind: 'ok', json: null })
  })

  it('2xx with invalid JSON: retry after a backoff (a body cut short)', () => {
    const v = classify(res(200, '[{"id":'), ctx)
    expect(v).toMatchObject({ kind: 'retry', after: { kind: 'backoff' } })
    expect(v.kind === 'retry' && v.error.message).toMatch(/^Okta GET \/api\/v1\/users failed: 200 \(invalid JSON body \(7 bytes\)/)
  })

  it('a gzip body without Content-Encoding: fail, naming it (no retry can help)', () => {
    const v = classify(res(200, gzipSync('[{"id":"u1"}]')), ctx)
    expect(v.kind).toBe('fail')
    expect(v.kind === 'fail' && v.error.message).toBe(
      'Okta GET /api/v1/users failed: 200 (the body is gzip-compressed but the response has no Content-Encoding header (a proxy stripped it?))',
    )
  })

  it('a gzip body that says so is decoded', () => {
    expect(classify(res(200, gzipSync('[{"id":"u1"}]'), { 'content-encoding': 'gzip' }), ctx)).toEqual({ kind: 'ok', json: [{ id: 'u1' }] })
  })

  it('3xx: fail with the Location named (without its query), never followed', () => {
    const v = classify(res(302, '', { location: 'https://login.evil.example/sso?token=abc' }), ctx)
    expect(v).toMatchObject({ kind: 'fail', error: { code: 'ERR_OKTA_REDIRECT', status: 302, location: 'https://login.evil.example/sso', exitCode: 1 } })
    expect(v.kind === 'fail' && v.error.message).toBe(
      "Okta GET /api/v1/users failed: 302 (redirect to https://login.evil.example/sso, not followed; set okta.orgUrl to the org's own URL)",
    )
    expect(classify(res(301, ''), ctx)).toMatchObject({ kind: 'fail', error: { location: null } })
  })

  it('401 on an API call: unauthorized (the auth step decides); on the token endpoint: the OAuth error handed to the auth step', () => {
    expect(classify(res(401, okta('E0000011', 'Invalid token provided')), ctx)).toMatchObject({ kind: 'unauthorized', error: { code: 'ERR_OKTA_AUTH', errorCode: 'E0000011' } })
    const token = { ...ctx, path: '/oauth2/v1/token', method: 'POST', tokenEndpoint: true }
    expect(classify(res(401, JSON.stringify({ error: 'invalid_client', error_description: 'bad' })), token)).toEqual({ kind: 'token-answer', json: { error: 'invalid_client', error_description: 'bad' } })
    expect(classify(res(400, 'not json'), token)).toEqual({ kind: 'token-answer', json: null })
  })

  it('403: fail naming the missing scope', () => {
    const v = classify(res(403, okta('E0000006', 'no'), { 'www-authenticate': 'Bearer scope="okta.logs.read", error="insufficient_scope"' }), ctx)
    expect(v).toMatchObject({ kind: 'fail', error: { missingScope: 'okta.logs.read', exitCode: 2 } })
  })

  it('429: retry after the reset (window) or a backoff (concurrency, or no reset)', () => {
    const body = okta('E0000047', 'rate limit')
    expect(classify(res(429, body, { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1767225660' }), ctx)).toMatchObject({
      kind: 'retry',
      rateLimited: 'window',
      after: { kind: 'reset', rate: { limit: 600, remaining: 0, reset: 1767225660 } },
    })
    expect(classify(res(429, body, { 'x-rate-limit-limit': '0', 'x-rate-limit-reset': '1767225660' }), ctx)).toMatchObject({ kind: 'retry', rateLimited: 'concurrency', after: { kind: 'backoff' } })
    expect(classify(res(429, body), ctx)).toMatchObject({ kind: 'retry', rateLimited: 'window', after: { kind: 'backoff' } })
  })

  it('5xx: retry (honouring Retry-After); 501 and other 4xx: fail', () => {
    expect(classify(res(503, okta('E0000010', 'read only'), { 'retry-after': '7' }), ctx)).toMatchObject({ kind: 'retry', after: { kind: 'at-least', ms: 7000 } })
    expect(classify(res(502, '<html>bad gateway</html>'), ctx)).toMatchObject({ kind: 'retry', after: { kind: 'backoff' }, error: { status: 502 } })
    expect(classify(res(501, ''), ctx)).toMatchObject({ kind: 'fail', error: { status: 501, retryable: false } })
    expect(classify(res(400, okta('E0000031', 'Invalid search criteria.')), ctx)).toMatchObject({ kind: 'fail', error: { errorCode: 'E0000031' } })
  })
})
