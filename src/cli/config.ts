import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { z } from 'zod'
import { isLoopbackHost } from '../okta/loopback.ts'
import type { OktaAuth, PipelineConfig } from '../pipeline/types.ts'
import { DEFAULT_MAX_BATCH_ROWS, DEFAULT_OKTA_SETTINGS } from '../pipeline/defaults.ts'
import { DEFAULT_EXTRACT_OPTIONS } from '../resources/options.ts'
import { scopesFor } from '../resources/index.ts'
import { DEFAULT_HISTORY, DEFAULT_RESOURCES, RESOURCE_NAMES, type ResourceName } from '../resources/types.ts'
import { UsageError } from '../util/errors.ts'
import { configFileSchema, KNOWN_KEYS, LITERAL_SECRET_KEYS, type ConfigFile } from './config-schema.ts'
import { formatIssue } from './config-issues.ts'
import { fileOnly, lineColumn, locateIn, NO_FILE, syntaxProblem, type ConfigLocation } from './config-location.ts'
import { validateDestinationUrl } from './destination-url.ts'

/**
 * Loads `pipeline.config.json` into the frozen `PipelineConfig` a run needs: validated (strict
 * keys, real types), environment overrides applied, secrets read from the environment or a file
 * the config names (never from the JSON), defaults filled in. The only module that reads the
 * environment; everything below it receives values.
 */

export const DEFAULT_CONFIG_PATH = './pipeline.config.json'

/** The environment variables that override config keys. */
export const ENV_OVERRIDES = {
  orgUrl: 'OKTA_ORG_URL',
  token: 'OKTA_API_TOKEN',
  destination: 'OKTA_ELT_DESTINATION',
} as const

/** Default variables the secrets are read from when the config names none. */
export const DEFAULT_TOKEN_ENV = 'OKTA_API_TOKEN'
export const DEFAULT_PRIVATE_KEY_ENV = 'OKTA_PRIVATE_KEY'

/**
 * Every environment variable the loader reads with a default configuration (the overrides plus
 * the default secret variables). Deployment files (docker-compose.yml) are checked against it.
 */
export const CONFIG_ENV_VARS: readonly string[] = Object.freeze([
  ENV_OVERRIDES.orgUrl,
  ENV_OVERRIDES.token,
  ENV_OVERRIDES.destination,
  DEFAULT_PRIVATE_KEY_ENV,
])

/** The config file's defaults, in its own units; the values themselves live with their owners. */
export const DEFAULTS = Object.freeze({
  ...DEFAULT_OKTA_SETTINGS,
  lookbackMinutes: DEFAULT_EXTRACT_OPTIONS.lookbackMs / 60_000,
  systemLogStartDays: DEFAULT_EXTRACT_OPTIONS.systemLogStartMs / 86_400_000,
  childConcurrency: DEFAULT_EXTRACT_OPTIONS.childConcurrency,
  lockWaitSeconds: 0,
})

export type Env = Readonly<Record<string, string | undefined>>

export interface ConfigSource {
  /** Path of the config file (relative paths resolve against `cwd`). */
  path: string
  /** True when the user named the file (`--config`): then a missing file is an error. */
  explicit: boolean
  env: Env
  cwd?: string
}

export interface ConfigOverrides {
  /** `--destination`: wins over OKTA_ELT_DESTINATION, which wins over the file. */
  destination?: string
  /** `--resources`: replaces the file's list. */
  resources?: readonly ResourceName[]
}

/** The validated file with env overrides applied, secrets not yet resolved. */
export interface ParsedConfig {
  file: ConfigFile
  /** Absolute path of the file, or null when it was absent (env-only configuration). */
  path: string | null
  /** Directory secret-file paths resolve against. */
  baseDir: string
  /** Where a key sits in the file, for error lines (`config /abs/file.json:4:15`). */
  location: ConfigLocation
}

/** Reads and validates the file. A missing default file is fine (everything may come from the environment). */
export async function readConfigFile(source: ConfigSource): Promise<ParsedConfig> {
  const cwd = source.cwd ?? process.cwd()
  const path = resolve(cwd, source.path)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !source.explicit) return { file: {}, path: null, baseDir: cwd, location: NO_FILE }
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : 'cannot read it'
    throw new UsageError(`${fileOnly(path).at()}: ${why}`, 'ERR_CONFIG')
  }
  // Editors on Windows (Notepad) save UTF-8 with a byte order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    // JSON.parse messages quote a snippet of the input; the file may hold anything, so say only where and what.
    const problem = syntaxProblem(text)
    const pos = problem === null ? /position (\d+)/.exec(err instanceof Error ? err.message : '')?.[1] : String(problem.offset)
    const at = pos === undefined ? '' : `:${lineColumn(text, Number(pos))}`
    throw new UsageError(`config ${path}${at}: not valid JSON${problem === null ? '' : `: ${problem.what}`}`, 'ERR_CONFIG')
  }
  const location = locateIn(path, text)
  return { file: validateConfigFile(raw, location), path, baseDir: dirname(path), location }
}

/**
 * Validates parsed JSON against the schema; the first problem becomes a one-line UsageError
 * naming where it is (`config /abs/file.json:4:15: unknown key "okta.rateLimtShare" …`).
 */
export function validateConfigFile(raw: unknown, location: ConfigLocation = NO_FILE): ConfigFile {
  rejectLiteralSecrets(raw, location)
  const result = configFileSchema.safeParse(raw)
  if (result.success) return result.data
  const issues = result.error.issues as z.core.$ZodIssue[]
  const issue = issues[0]!
  const first = formatIssue(issue, raw, KNOWN_KEYS)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : ''
  const at =
    issue.code === 'unrecognized_keys' ? location.at([...issue.path, issue.keys[0] ?? ''], { key: true }) : location.at(issue.path)
  throw new UsageError(`${at}: ${first}${more}`, 'ERR_CONFIG')
}

function rejectLiteralSecrets(raw: unknown, location: ConfigLocation): void {
  const auth = isRecord(raw) && isRecord(raw.okta) ? raw.okta.auth : undefined
  if (!isRecord(auth)) return
  for (const key of Object.keys(auth)) {
    // Own keys only: "constructor" or "toString" must not find Object.prototype's.
    if (!Object.hasOwn(LITERAL_SECRET_KEYS, key)) continue
    const instead = LITERAL_SECRET_KEYS[key]!
    const file = instead === 'tokenEnv' ? 'tokenFile' : 'privateKeyFile'
    throw new UsageError(
      `${location.at(['okta', 'auth', key], { key: true })}: okta.auth.${key}: secrets are never read from the config file (it gets copied, committed and logged); ` +
        `put the secret in an environment variable named by "${instead}" or in a file named by "${file}"`,
      'ERR_CONFIG_SECRET',
    )
  }
}

/** The destination URL after overrides: flag, then OKTA_ELT_DESTINATION, then the file. */
export function resolveDestination(parsed: ParsedConfig, env: Env, flag?: string): string {
  const fromEnv = nonEmpty(env[ENV_OVERRIDES.destination])
  const url = flag ?? fromEnv ?? parsed.file.destination
  const where = flag !== undefined ? '--destination' : fromEnv !== undefined ? ENV_OVERRIDES.destination : `${parsed.location.at(['destination'])}: destination`
  if (url === undefined) {
    throw new UsageError(
      `no destination: set "destination" in the config file, ${ENV_OVERRIDES.destination}, or --destination (e.g. sqlite:./okta.db)`,
      'ERR_CONFIG',
    )
  }
  validateDestinationUrl(url, where)
  return url
}

/** The Okta org URL after the OKTA_ORG_URL override, validated (https, or http on loopback) and without trailing slash. */
export function resolveOrgUrl(parsed: ParsedConfig, env: Env): string {
  const fromEnv = nonEmpty(env[ENV_OVERRIDES.orgUrl])
  const value = fromEnv ?? parsed.file.okta?.orgUrl
  const where = fromEnv !== undefined ? ENV_OVERRIDES.orgUrl : `${parsed.location.at(['okta', 'orgUrl'])}: okta.orgUrl`
  if (value === undefined) {
    throw new UsageError(
      `no Okta org URL: set "okta.orgUrl" in the config file or ${ENV_OVERRIDES.orgUrl} (e.g. https://example.okta.com)`,
      'ERR_CONFIG',
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`${where}: expected a URL such as https://example.okta.com`, 'ERR_CONFIG')
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`${where}: must not contain credentials`, 'ERR_CONFIG')
  }
  if (url.protocol === 'http:') {
    if (!isLoopback(url.hostname)) {
      throw new UsageError(
        `${where}: must use https (http is only allowed on loopback: 127.0.0.1, localhost, [::1], for the simulator)`,
        'ERR_CONFIG',
      )
    }
  } else if (url.protocol !== 'https:') {
    throw new UsageError(`${where}: must be an https:// URL`, 'ERR_CONFIG')
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new UsageError(`${where}: expected the org's base URL only, without a path (e.g. https://example.okta.com)`, 'ERR_CONFIG')
  }
  return url.origin
}

/** The client's loopback rule (src/okta/loopback.ts), so the CLI and the client never disagree. */
export const isLoopback = isLoopbackHost

/** Reads the secrets the config points to. Errors name the variable or file, never a value. */
/** `resources`: what the run selects; an OAuth app without configured scopes asks for exactly theirs. */
export async function resolveAuth(parsed: ParsedConfig, env: Env, resources: readonly ResourceName[] = DEFAULT_RESOURCES): Promise<OktaAuth> {
  const auth = parsed.file.okta?.auth ?? { type: 'ssws' as const }
  if (auth.type === 'ssws') {
    if (auth.tokenEnv !== undefined && auth.tokenFile !== undefined) {
      throw new UsageError(`${parsed.location.at(['okta', 'auth'])}: okta.auth: set either "tokenEnv" or "tokenFile", not both`, 'ERR_CONFIG')
    }
    // OKTA_API_TOKEN is an override: when set it wins over whatever source the file names.
    const override = nonEmpty(env[ENV_OVERRIDES.token])
    if (override !== undefined) return { type: 'ssws', token: override }
    if (auth.tokenFile !== undefined) {
      return { type: 'ssws', token: await readSecretFile(parsed, auth.tokenFile, 'tokenFile', 'API token') }
    }
    const name = auth.tokenEnv ?? DEFAULT_TOKEN_ENV
    const token = nonEmpty(env[name])
    if (token === undefined) {
      throw new UsageError(
        `missing Okta API token: environment variable ${name} is not set` +
          (auth.tokenEnv === undefined ? '' : ' (named by okta.auth.tokenEnv)'),
        'ERR_MISSING_TOKEN',
      )
    }
    return { type: 'ssws', token }
  }

  if (auth.privateKeyEnv !== undefined && auth.privateKeyFile !== undefined) {
    throw new UsageError(`${parsed.location.at(['okta', 'auth'])}: okta.auth: set either "privateKeyEnv" or "privateKeyFile", not both`, 'ERR_CONFIG')
  }
  let privateKey: string
  if (auth.privateKeyFile !== undefined) {
    privateKey = await readSecretFile(parsed, auth.privateKeyFile, 'privateKeyFile', 'private key')
  } else {
    const name = auth.privateKeyEnv ?? DEFAULT_PRIVATE_KEY_ENV
    const value = nonEmpty(env[name])
    if (value === undefined) {
      throw new UsageError(
        `missing OAuth private key: environment variable ${name} is not set` +
          (auth.privateKeyEnv === undefined ? '' : ' (named by okta.auth.privateKeyEnv)'),
        'ERR_MISSING_TOKEN',
      )
    }
    privateKey = value.trim()
  }
  if (!privateKey.startsWith('-----BEGIN') && !privateKey.startsWith('{')) {
    throw new UsageError('OAuth private key: expected a PEM (PKCS#8) key or a JWK as JSON', 'ERR_CONFIG')
  }
  return {
    type: 'oauth',
    clientId: auth.clientId,
    privateKey,
    ...(auth.keyId === undefined ? {} : { keyId: auth.keyId }),
    scopes: auth.scopes ?? scopesFor(resources),
    ...(auth.dpop === undefined ? {} : { dpop: auth.dpop }),
  }
}

async function readSecretFile(parsed: ParsedConfig, file: string, authKey: string, what: string): Promise<string> {
  const at = `${parsed.location.at(['okta', 'auth', authKey])}: okta.auth.${authKey}`
  const path = resolve(parsed.baseDir, file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot read it'
    throw new UsageError(`${at}: ${path}: ${why}`, 'ERR_MISSING_TOKEN')
  }
  const secret = text.replace(/^\uFEFF/, '').trim()
  if (secret === '') throw new UsageError(`${at}: ${path} is empty (expected the ${what})`, 'ERR_MISSING_TOKEN')
  return secret
}

/** The whole resolution for `run` and `backfill`: file → overrides → secrets → defaults → frozen. */
export async function loadConfig(source: ConfigSource, overrides: ConfigOverrides = {}): Promise<PipelineConfig> {
  const parsed = await readConfigFile(source)
  return buildPipelineConfig(parsed, source.env, overrides)
}

export async function buildPipelineConfig(parsed: ParsedConfig, env: Env, overrides: ConfigOverrides = {}): Promise<PipelineConfig> {
  const { file } = parsed
  const orgUrl = resolveOrgUrl(parsed, env)
  const destination = resolveDestination(parsed, env, overrides.destination)
  const resources = orderResources(overrides.resources ?? file.resources ?? DEFAULT_RESOURCES)
  const auth = await resolveAuth(parsed, env, resources)
  const minutes = 60_000
  const days = 24 * 60 * minutes
  return deepFreeze({
    okta: {
      orgUrl,
      auth,
      rateLimitShare: file.okta?.rateLimitShare ?? DEFAULTS.rateLimitShare,
      maxInFlight: file.okta?.maxInFlight ?? DEFAULTS.maxInFlight,
      requestTimeoutMs: file.okta?.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      maxRetries: file.okta?.maxRetries ?? DEFAULTS.maxRetries,
      maxWaitSeconds: file.okta?.maxWaitSeconds ?? DEFAULTS.maxWaitSeconds,
    },
    destination,
    resources,
    history: [...new Set(file.history ?? DEFAULT_HISTORY)],
    extract: {
      lookbackMs: Math.round((file.extract?.lookbackMinutes ?? DEFAULTS.lookbackMinutes) * minutes),
      systemLogStartMs: Math.round((file.systemLog?.startDaysAgo ?? DEFAULTS.systemLogStartDays) * days),
      childConcurrency: file.extract?.childConcurrency ?? DEFAULTS.childConcurrency,
    },
    lockWaitMs: Math.round((file.lockWaitSeconds ?? DEFAULTS.lockWaitSeconds) * 1000),
    maxBatchRows: file.load?.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS,
  })
}

/** Parses `--resources users,groups`: known names only, duplicates dropped. */
export function parseResourceList(value: string): ResourceName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (names.length === 0) throw new UsageError(`--resources: expected a comma-separated list of ${RESOURCE_NAMES.join(', ')}`)
  for (const name of names) {
    if (!(RESOURCE_NAMES as readonly string[]).includes(name)) {
      const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name
      throw new UsageError(`--resources: unknown resource "${shown}" (expected one of ${RESOURCE_NAMES.join(', ')})`)
    }
  }
  return orderResources(names as ResourceName[])
}

/** Canonical order, no duplicates: output and logs list resources the same way every run. */
function orderResources(names: readonly ResourceName[]): ResourceName[] {
  return RESOURCE_NAMES.filter((n) => names.includes(n))
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
