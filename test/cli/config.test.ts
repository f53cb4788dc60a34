import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CONFIG_ENV_VARS, DEFAULTS, loadConfig, parseResourceList, validateConfigFile } from '../../src/cli/config.ts'
import { OktaEltError, UsageError } from '../../src/util/errors.ts'
import { TOKEN, tempDir } from './helpers.ts'
import { DEFAULT_RESOURCES, scopesFor } from '../../src/resources/index.ts'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const base = {
  okta: { orgUrl: 'https://example.okta.com', auth: { type: 'ssws', tokenEnv: 'OKTA_API_TOKEN' } },
  destination: 'sqlite:./okta.db',
}

async function load(config: unknown, env: Record<string, string> = { OKTA_API_TOKEN: TOKEN }, overrides = {}) {
  const path = tmp.write('pipeline.config.json', typeof config === 'string' ? config : JSON.stringify(config, null, 2))
  return loadConfig({ path, explicit: true, env, cwd: tmp.dir }, overrides)
}

/** A config error names the file's absolute path and line:column first: returns what follows. */
function located(message: string): string {
  const prefix = `config ${join(tmp.dir, 'pipeline.config.json')}:`
  expect(message.startsWith(prefix), message).toBe(true)
  const m = /^\d+:\d+: /.exec(message.slice(prefix.length))
  expect(m, message).not.toBeNull()
  return message.slice(prefix.length + m![0].length)
}

async function usageError(p: Promise<unknown>): Promise<UsageError> {
  const err = await p.then(
    () => {
      throw new Error('expected a UsageError')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UsageError)
  const u = err as UsageError
  expect(u.exitCode).toBe(2)
  expect(u.message).not.toContain('\n')
  return u
}

describe('config loader', () => {
  it('applies the documented defaults and freezes the result', async () => {
    const config = await load(base)
    expect(config).toEqual({
      okta: {
        orgUrl: 'https://example.okta.com',
        auth: { type: 'ssws', token: TOKEN },
        rateLimitShare: 0.9,
        maxInFlight: 4,
        requestTimeoutMs: 30_000,
        maxRetries: 6,
        maxWaitSeconds: 300,
      },
      destination: 'sqlite:./okta.db',
      resources: [...DEFAULT_RESOURCES],
      extract: { lookbackMs: 5 * 60_000, systemLogStartMs: 90 * 86_400_000, childConcurrency: 4 },
      lockWaitMs: 0,
      maxBatchRows: 5000,
      history: ['users', 'group_users', 'apps_assigned', 'app_groups', 'user_roles', 'group_roles'],
    })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.okta.auth)).toBe(true)
    expect(Object.isFrozen(config.resources)).toBe(true)
    expect(DEFAULTS.rateLimitShare).toBe(0.9)
  })

  it('maps every tuning key onto PipelineConfig', async () => {
    const config = await load({
      ...base,
      okta: { ...base.okta, rateLimitShare: 0.5, maxInFlight: 8, requestTimeoutMs: 5000, maxRetries: 2, maxWaitSeconds: 90 },
      resources: ['system_log', 'users'],
      systemLog: { startDaysAgo: 7 },
      extract: { lookbackMinutes: 1.5, childConcurrency: 2 },
      lockWaitSeconds: 30,
    })
    expect(config.okta).toMatchObject({ rateLimitShare: 0.5, maxInFlight: 8, requestTimeoutMs: 5000, maxRetries: 2, maxWaitSeconds: 90 })
    expect(config.resources).toEqual(['users', 'system_log'])
    expect(config.extract).toEqual({ lookbackMs: 90_000, systemLogStartMs: 7 * 86_400_000, childConcurrency: 2 })
    expect(config.lockWaitMs).toBe(30_000)
  })

  it('rejects an unknown key, naming its full path and suggesting the right one', async () => {
    const err = await usageError(load({ ...base, okta: { ...base.okta, rateLimtShare: 0.5 } }))
    expect(located(err.message)).toBe('unknown key "okta.rateLimtShare" (did you mean "rateLimitShare"?)')
    const top = await usageError(load({ ...base, destinaton: 'sqlite:x.db' }))
    expect(top.message).toContain('unknown key "destinaton"')
  })

  it('rejects a wrong type, naming the key, what was expected and what it got', async () => {
    const err = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenEnv: 5 } } }))
    expect(located(err.message)).toBe('okta.auth.tokenEnv: expected string, got number')
    const int = await usageError(load({ ...base, okta: { ...base.okta, maxInFlight: 2.5 } }))
    expect(located(int.message)).toBe('okta.maxInFlight: expected integer, got number (not an integer)')
    const range = await usageError(load({ ...base, okta: { ...base.okta, rateLimitShare: 1.5 } }))
    expect(located(range.message)).toBe('okta.rateLimitShare: expected a number <= 1, got 1.5')
    const res = await usageError(load({ ...base, resources: ['users', 'userz'] }))
    expect(located(res.message)).toContain('resources[1]: expected one of "users"')
    expect(res.message).toContain('got "userz"')
    const auth = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'basic' } } }))
    expect(located(auth.message)).toBe('okta.auth.type: expected "ssws" or "oauth", got "basic"')
  })

  it('reports invalid JSON without quoting the file', async () => {
    const err = await usageError(load(`{"okta": {"orgUrl": "${TOKEN}",}`))
    expect(err.message).toMatch(/not valid JSON/)
    expect(err.message).not.toContain(TOKEN)
  })

  it('rejects a literal token in the file, explains why, and never echoes it', async () => {
    const err = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', token: TOKEN } } }))
    expect(err.message).toContain('okta.auth.token: secrets are never read from the config file')
    expect(err.message).toContain('tokenEnv')
    expect(err.message).not.toContain(TOKEN)
    const key = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'oauth', clientId: 'c', privateKey: 'x' } } }))
    expect(key.message).toContain('okta.auth.privateKey: secrets are never read')
  })

  it('rejects a token pasted into tokenEnv without echoing it', async () => {
    const err = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenEnv: TOKEN } } }))
    expect(err.message).toContain('okta.auth.tokenEnv: expected the NAME of an environment variable')
    expect(err.message).not.toContain(TOKEN)
  })

  it('requires https for the org URL, except on loopback', async () => {
    const http = await usageError(load({ ...base, okta: { ...base.okta, orgUrl: 'http://example.okta.com' } }))
    expect(located(http.message)).toContain('okta.orgUrl: must use https')
    for (const orgUrl of ['http://127.0.0.1:8090', 'http://localhost:8090/', 'http://[::1]:8090']) {
      const config = await load({ ...base, okta: { ...base.okta, orgUrl } })
      expect(config.okta.orgUrl).toBe(orgUrl.replace(/\/$/, ''))
    }
    const path = await usageError(load({ ...base, okta: { ...base.okta, orgUrl: 'https://example.okta.com/api/v1' } }))
    expect(path.message).toContain('without a path')
    const ftp = await usageError(load({ ...base, okta: { ...base.okta, orgUrl: 'ftp://example.okta.com' } }))
    expect(ftp.message).toContain('https://')
  })

  it('names the missing token variable', async () => {
    const err = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenEnv: 'MY_OKTA_TOKEN' } } }, {}))
    expect(err.code).toBe('ERR_MISSING_TOKEN')
    expect(err.message).toContain('MY_OKTA_TOKEN is not set')
    const dflt = await usageError(load({ okta: { orgUrl: 'https://example.okta.com' }, destination: 'sqlite:x.db' }, { OKTA_API_TOKEN: '  ' }))
    expect(dflt.message).toContain('OKTA_API_TOKEN is not set')
  })

  it('reads the token from a configured variable or a file next to the config', async () => {
    const fromVar = await load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenEnv: 'MY_OKTA_TOKEN' } } }, { MY_OKTA_TOKEN: TOKEN })
    expect(fromVar.okta.auth).toEqual({ type: 'ssws', token: TOKEN })
    tmp.write('okta.token', `${TOKEN}\n`)
    const fromFile = await load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenFile: 'okta.token' } } }, {})
    expect(fromFile.okta.auth).toEqual({ type: 'ssws', token: TOKEN })
    const missing = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenFile: 'nope.token' } } }, {}))
    expect(located(missing.message)).toBe(`okta.auth.tokenFile: ${join(tmp.dir, 'nope.token')}: no such file`)
    tmp.write('empty.token', '\n')
    const empty = await usageError(load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenFile: 'empty.token' } } }, {}))
    expect(empty.message).toContain('empty.token is empty')
  })

  it('resolves OAuth with the private key from the environment or a file, default scopes', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC\n-----END PRIVATE KEY-----'
    const oauth = { type: 'oauth', clientId: '0oa123', keyId: 'kid1' }
    const fromEnv = await load({ ...base, okta: { ...base.okta, auth: oauth } }, { OKTA_PRIVATE_KEY: pem })
    expect(fromEnv.okta.auth).toEqual({
      type: 'oauth',
      clientId: '0oa123',
      keyId: 'kid1',
      privateKey: pem,
      scopes: scopesFor(DEFAULT_RESOURCES),
    })
    tmp.write('key.pem', pem)
    const fromFile = await load({ ...base, okta: { ...base.okta, auth: { ...oauth, privateKeyFile: 'key.pem', scopes: ['okta.users.read'] } } }, {})
    expect(fromFile.okta.auth).toMatchObject({ privateKey: pem, scopes: ['okta.users.read'] })
    const missing = await usageError(load({ ...base, okta: { ...base.okta, auth: { ...oauth, privateKeyEnv: 'KEY_VAR' } } }, {}))
    expect(missing.message).toContain('KEY_VAR is not set')
    const garbage = await usageError(load({ ...base, okta: { ...base.okta, auth: oauth } }, { OKTA_PRIVATE_KEY: 'not-a-key-at-all-secret' }))
    expect(garbage.message).not.toContain('not-a-key-at-all-secret')
  })

  it('lets the environment override the file, and --destination override both', async () => {
    const env = { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: 'https://other.okta.com', OKTA_ELT_DESTINATION: 'postgres://u:p@db:5432/okta' }
    const fromEnv = await load(base, env)
    expect(fromEnv.okta.orgUrl).toBe('https://other.okta.com')
    expect(fromEnv.destination).toBe('postgres://u:p@db:5432/okta')
    const flag = await load(base, env, { destination: 'sqlite:/tmp/flag.db', resources: ['groups'] })
    expect(flag.destination).toBe('sqlite:/tmp/flag.db')
    expect(flag.resources).toEqual(['groups'])
    // OKTA_API_TOKEN overrides a configured token file.
    const overridden = await load({ ...base, okta: { ...base.okta, auth: { type: 'ssws', tokenFile: 'absent.token' } } }, { OKTA_API_TOKEN: TOKEN })
    expect(overridden.okta.auth).toEqual({ type: 'ssws', token: TOKEN })
    // Overrides are validated like the file.
    const bad = await usageError(load(base, { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: 'http://evil.example.com' }))
    expect(bad.message).toContain('OKTA_ORG_URL: must use https')
  })

  it('works from the environment alone when the default config file is absent', async () => {
    const config = await loadConfig(
      { path: './pipeline.config.json', explicit: false, cwd: tmp.dir, env: { OKTA_API_TOKEN: TOKEN, OKTA_ORG_URL: 'https://example.okta.com', OKTA_ELT_DESTINATION: 'sqlite:x.db' } },
    )
    expect(config.destination).toBe('sqlite:x.db')
    const explicit = await usageError(loadConfig({ path: 'missing.json', explicit: true, cwd: tmp.dir, env: {} }))
    expect(explicit.message).toBe(`config ${join(tmp.dir, 'missing.json')}: no such file`)
    const noOrg = await usageError(loadConfig({ path: './pipeline.config.json', explicit: false, cwd: tmp.dir, env: { OKTA_API_TOKEN: TOKEN } }))
    expect(noOrg.message).toContain('OKTA_ORG_URL')
  })

  it('validates destination URLs without echoing passwords', async () => {
    const err = await usageError(load({ ...base, destination: 'mysql://root:hunter2secret@db/okta' }))
    expect(err.message).toContain('unsupported destination')
    expect(err.message).not.toContain('hunter2secret')
    const schema = await usageError(load({ ...base, destination: `postgres://db/okta?schema=${'s'.repeat(64)}` }))
    expect(schema.message).toContain('?schema=')
    const nopath = await usageError(load({ ...base, destination: 'sqlite:' }))
    expect(nopath.message).toContain('needs a path')
  })

  it('parses --resources lists', () => {
    expect(parseResourceList('system_log, users,users')).toEqual(['users', 'system_log'])
    expect(() => parseResourceList('users,userz')).toThrow(/unknown resource "userz"/)
    expect(() => parseResourceList(',')).toThrow(OktaEltError)
  })

  it('exports the environment variables it reads', () => {
    expect([...CONFIG_ENV_VARS].sort()).toEqual(['OKTA_API_TOKEN', 'OKTA_ELT_DESTINATION', 'OKTA_ORG_URL', 'OKTA_PRIVATE_KEY'])
  })

  it('reports the count of further problems on the same line', () => {
    expect(() => validateConfigFile({ okta: { maxInFlight: 'x', maxRetries: -1 } })).toThrow(/^config: okta\.maxInFlight: expected number, got string \(and 1 more problem\)$/)
  })
})
