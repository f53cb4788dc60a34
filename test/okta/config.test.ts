import { describe, expect, it } from 'vitest'
import { OktaConfigError, OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'

const base: OktaClientConfig = { orgUrl: 'https://acme.okta.com', auth: { type: 'ssws', token: 'tok' } }

function optionError(config: unknown): OktaConfigError {
  try {
    new OktaHttpClient(config as OktaClientConfig)
  } catch (err) {
    if (err instanceof OktaConfigError) return err
    throw err
  }
  throw new Error('expected the constructor to throw')
}

describe('OktaHttpClient config validation', () => {
  const cases: Array<[string, unknown]> = [
    ['orgUrl', { ...base, orgUrl: 'not a url' }],
    ['orgUrl', { ...base, orgUrl: 'http://acme.okta.com' }],
    ['orgUrl', { ...base, orgUrl: 'https://acme.okta.com/api/v1' }],
    ['orgUrl', { ...base, orgUrl: 'https://user:pw@acme.okta.com' }],
    ['auth.type', { ...base, auth: { type: 'basic' } }],
    ['auth.token', { ...base, auth: { type: 'ssws', token: '' } }],
    ['auth.token', { ...base, auth: { type: 'ssws', token: 'abc\r\nX-Evil: 1' } }],
    ['auth.scopes', { ...base, auth: { type: 'oauth', clientId: 'c', privateKey: 'k', scopes: [] } }],
    ['auth.clientId', { ...base, auth: { type: 'oauth', privateKey: 'k', scopes: ['okta.users.read'] } }],
    ['rateLimitShare', { ...base, rateLimitShare: 0 }],
    ['rateLimitShare', { ...base, rateLimitShare: 1.5 }],
    ['maxInFlight', { ...base, maxInFlight: 0 }],
    ['maxInFlight', { ...base, maxInFlight: 2.5 }],
    ['requestTimeoutMs', { ...base, requestTimeoutMs: -1 }],
    ['maxRetries', { ...base, maxRetries: -1 }],
    ['logger', { ...base, logger: 'console' }],
  ]
  for (const [option, config] of cases) {
    it(`names ${option} when it is invalid (${JSON.stringify(config).slice(0, 80)})`, () => {
      const err = optionError(config)
      expect(err.option).toBe(option)
      expect(err.code).toBe('ERR_OKTA_CONFIG')
      expect(err.exitCode).toBe(2)
      expect(err.message).toContain(`option ${option}`)
    })
  }

  it('accepts http on loopback (the simulator) and normalises a trailing slash', async () => {
    const c = new OktaHttpClient({ ...base, orgUrl: 'http://127.0.0.1:8080/' })
    expect(c.orgUrl).toBe('http://127.0.0.1:8080')
    await c.close()
  })

  it('never echoes a bad token value in the error', () => {
    const err = optionError({ ...base, auth: { type: 'ssws', token: 'abc SECRET' } })
    expect(JSON.stringify(err) + err.message + String(err.stack)).not.toContain('SECRET')
  })
})
