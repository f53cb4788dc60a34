import { describe, expect, it } from 'vitest'
import { validateConfigFile, isLoopback } from '../../src/cli/config.ts'
import { DEFAULT_OKTA_SETTINGS } from '../../src/pipeline/defaults.ts'
import { isLoopbackHost, OKTA_CLIENT_DEFAULTS, OKTA_CLIENT_LIMITS, OktaConfigError, OktaHttpClient, type OktaClientConfig } from '../../src/okta/index.ts'

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

  it('one loopback rule for the CLI and the client: all of 127/8, localhost, [::1]', async () => {
    expect(isLoopback).toBe(isLoopbackHost)
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['128.0.0.1', '127.0.0.256', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false)
    // Today the CLI accepted http://127.0.0.2 and the client then refused it.
    const c = new OktaHttpClient({ ...base, orgUrl: 'http://127.0.0.2:8080' })
    expect(c.orgUrl).toBe('http://127.0.0.2:8080')
    await c.close()
  })

  it('one set of defaults and bounds: the pipeline defaults are the client ones, and what the config accepts the client accepts', () => {
    for (const [key, value] of Object.entries(DEFAULT_OKTA_SETTINGS)) expect(OKTA_CLIENT_DEFAULTS[key as keyof typeof OKTA_CLIENT_DEFAULTS], key).toBe(value)
    for (const key of ['maxInFlight', 'requestTimeoutMs', 'maxRetries', 'maxWaitSeconds'] as const) {
      const { min, max } = OKTA_CLIENT_LIMITS[key]
      for (const value of [min, max]) {
        expect(() => validateConfigFile({ okta: { [key]: value } }), `${key}=${value}`).not.toThrow()
        expect(() => new OktaHttpClient({ ...base, [key]: value }), `${key}=${value}`).not.toThrow()
      }
      expect(() => validateConfigFile({ okta: { [key]: max + 1 } }), `${key}=${max + 1}`).toThrow()
      expect(() => new OktaHttpClient({ ...base, [key]: max + 1 }), `${key}=${max + 1}`).toThrow(OktaConfigError)
    }
  })
})
