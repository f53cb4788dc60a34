import type { OktaAuth } from '../pipeline/types.ts'
import type { Logger } from '../util/log.ts'
import { OktaConfigError } from './errors.ts'

/** What `OktaHttpClient` is built from. Only `orgUrl` and `auth` are required. */
export interface OktaClientConfig {
  /** `https://<org>.okta.com` (http only on loopback, for the simulator). No path. */
  orgUrl: string
  auth: OktaAuth
  /** Share of the limit `X-Rate-Limit-Limit` reports that this client may use, (0, 1]. Default 0.9. */
  rateLimitShare?: number
  /** Requests in flight at once, all buckets together, 1–75. Default 4. */
  maxInFlight?: number
  /** Per-request timeout (headers and body), ms. Default 30000. */
  requestTimeoutMs?: number
  /** Retries per request (5xx, 429, resets, timeouts, unreadable bodies) before giving up. Default 6. */
  maxRetries?: number
  logger?: Logger
  /** Default `okta-elt/<version> node/<version>`. */
  userAgent?: string
  /** First retry backoff, ms; doubles per retry. Default 1000. */
  retryBaseDelayMs?: number
  /** Largest retry backoff, ms. Default 30000. */
  retryMaxDelayMs?: number
  /** Largest response body accepted, bytes. Default 64 MiB. */
  maxResponseBytes?: number
}

export interface ResolvedClientConfig {
  readonly orgUrl: string
  readonly origin: string
  readonly auth: OktaAuth
  readonly rateLimitShare: number
  readonly maxInFlight: number
  readonly requestTimeoutMs: number
  readonly maxRetries: number
  readonly logger: Logger | undefined
  readonly userAgent: string
  readonly retryBaseDelayMs: number
  readonly retryMaxDelayMs: number
  readonly maxResponseBytes: number
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Applies defaults and validates every option eagerly; throws `OktaConfigError` naming the option. */
export function resolveClientConfig(config: OktaClientConfig): ResolvedClientConfig {
  if (typeof config !== 'object' || config === null) throw new OktaConfigError('config', 'expected an object')
  const origin = checkOrgUrl(config.orgUrl)
  checkAuth(config.auth)
  const rateLimitShare = config.rateLimitShare ?? 0.9
  if (typeof rateLimitShare !== 'number' || !(rateLimitShare > 0 && rateLimitShare <= 1)) {
    throw new OktaConfigError('rateLimitShare', 'must be a number in (0, 1]')
  }
  const maxInFlight = checkInt('maxInFlight', config.maxInFlight ?? 4, 1, 75)
  const requestTimeoutMs = checkInt('requestTimeoutMs', config.requestTimeoutMs ?? 30_000, 1, 600_000)
  const maxRetries = checkInt('maxRetries', config.maxRetries ?? 6, 0, 100)
  const retryBaseDelayMs = checkInt('retryBaseDelayMs', config.retryBaseDelayMs ?? 1000, 0, 600_000)
  const retryMaxDelayMs = checkInt('retryMaxDelayMs', config.retryMaxDelayMs ?? 30_000, 0, 3_600_000)
  const maxResponseBytes = checkInt('maxResponseBytes', config.maxResponseBytes ?? 64 * 1024 * 1024, 1024, 2 ** 31)
  if (config.logger !== undefined && typeof config.logger !== 'function') {
    throw new OktaConfigError('logger', 'must be a function')
  }
  const userAgent = config.userAgent ?? `okta-elt/0.1.0 node/${process.versions.node}`
  if (typeof userAgent !== 'string' || userAgent.length === 0 || /[\r\n]/.test(userAgent)) {
    throw new OktaConfigError('userAgent', 'must be a non-empty single-line string')
  }
  return Object.freeze({
    orgUrl: origin,
    origin,
    auth: config.auth,
    rateLimitShare,
    maxInFlight,
    requestTimeoutMs,
    maxRetries,
    logger: config.logger,
    userAgent,
    retryBaseDelayMs,
    retryMaxDelayMs,
    maxResponseBytes,
  })
}

function checkOrgUrl(orgUrl: unknown): string {
  if (typeof orgUrl !== 'string' || orgUrl.length === 0) throw new OktaConfigError('orgUrl', 'is required')
  let url: URL
  try {
    url = new URL(orgUrl)
  } catch {
    throw new OktaConfigError('orgUrl', 'is not a URL')
  }
  if (url.username || url.password) throw new OktaConfigError('orgUrl', 'must not contain credentials')
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new OktaConfigError('orgUrl', 'must be https (http is only allowed on loopback)')
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new OktaConfigError('orgUrl', `must be the org origin only, e.g. ${url.origin}`)
  }
  return url.origin
}

function checkAuth(auth: unknown): void {
  if (typeof auth !== 'object' || auth === null) throw new OktaConfigError('auth', 'is required')
  const a = auth as Record<string, unknown>
  if (a['type'] === 'ssws') {
    const token = a['token']
    if (typeof token !== 'string' || token.length === 0) throw new OktaConfigError('auth.token', 'is required')
    // A token with whitespace or control characters would break (or inject into) the header.
    if (/[\s\x00-\x1f\x7f]/.test(token)) throw new OktaConfigError('auth.token', 'contains whitespace or control characters')
    return
  }
  if (a['type'] === 'oauth') {
    if (typeof a['clientId'] !== 'string' || a['clientId'].length === 0) throw new OktaConfigError('auth.clientId', 'is required')
    if (typeof a['privateKey'] !== 'string' || a['privateKey'].length === 0) {
      throw new OktaConfigError('auth.privateKey', 'is required')
    }
    if (a['keyId'] !== undefined && typeof a['keyId'] !== 'string') throw new OktaConfigError('auth.keyId', 'must be a string')
    if (a['dpop'] !== undefined && a['dpop'] !== 'auto' && typeof a['dpop'] !== 'boolean') throw new OktaConfigError('auth.dpop', 'must be "auto", true or false')
    const scopes = a['scopes']
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s))) {
      throw new OktaConfigError('auth.scopes', 'must be a non-empty list of scope names, e.g. ["okta.users.read"]')
    }
    return
  }
  throw new OktaConfigError('auth.type', 'must be "ssws" or "oauth"')
}

function checkInt(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OktaConfigError(option, `must be an integer from ${min} to ${max}`)
  }
  return value
}
