import type { OktaAuth } from './types.ts'
import type { Logger } from '../util/log.ts'
import { OKTA_CLIENT_DEFAULTS as D, OKTA_CLIENT_LIMITS as L, type IntRange } from './defaults.ts'
import { OktaConfigError } from './errors.ts'
import { isLoopbackHost } from './loopback.ts'

/** What `OktaHttpClient` is built from. Only `orgUrl` and `auth` are required. */
export interface OktaClientConfig {
  /** `https://<org>.okta.com` (http only on loopback, for the simulator). No path. */
  orgUrl: string
  auth: OktaAuth
  /** Share of the limit `X-Rate-Limit-Limit` reports that this client may use, (0, 1]. Default 0.9. */
  rateLimitShare?: number
  /** Requests in flight at once, all buckets together, 1–75. Default 4. */
  maxInFlight?: number
  /** Per-request timeout (headers and body), ms, 100–600000. Default 30000. */
  requestTimeoutMs?: number
  /** Retries per request (5xx, 429, resets, timeouts, unreadable bodies) before giving up, 0–50. Default 6. */
  maxRetries?: number
  /**
   * Longest single wait accepted (rate-limit reset, 429, backoff), seconds, 1–86400. Default 300.
   * A wait beyond it fails the request with `ERR_OKTA_WAIT_TOO_LONG` instead of sleeping.
   */
  maxWaitSeconds?: number
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
  readonly maxWaitMs: number
  readonly logger: Logger | undefined
  readonly userAgent: string
  readonly retryBaseDelayMs: number
  readonly retryMaxDelayMs: number
  readonly maxResponseBytes: number
}

/** Applies defaults and validates every option eagerly; throws `OktaConfigError` naming the option. */
export function resolveClientConfig(config: OktaClientConfig): ResolvedClientConfig {
  if (typeof config !== 'object' || config === null) throw new OktaConfigError('config', 'expected an object')
  const origin = checkOrgUrl(config.orgUrl)
  checkAuth(config.auth)
  const rateLimitShare = config.rateLimitShare ?? D.rateLimitShare
  if (typeof rateLimitShare !== 'number' || !(rateLimitShare > 0 && rateLimitShare <= 1)) {
    throw new OktaConfigError('rateLimitShare', 'must be a number in (0, 1]')
  }
  const maxInFlight = checkInt('maxInFlight', config.maxInFlight ?? D.maxInFlight, L.maxInFlight)
  const requestTimeoutMs = checkInt('requestTimeoutMs', config.requestTimeoutMs ?? D.requestTimeoutMs, L.requestTimeoutMs)
  const maxRetries = checkInt('maxRetries', config.maxRetries ?? D.maxRetries, L.maxRetries)
  const maxWaitSeconds = config.maxWaitSeconds ?? D.maxWaitSeconds
  if (typeof maxWaitSeconds !== 'number' || !(maxWaitSeconds >= L.maxWaitSeconds.min && maxWaitSeconds <= L.maxWaitSeconds.max)) {
    throw new OktaConfigError('maxWaitSeconds', `must be a number from ${L.maxWaitSeconds.min} to ${L.maxWaitSeconds.max}`)
  }
  const retryBaseDelayMs = checkInt('retryBaseDelayMs', config.retryBaseDelayMs ?? D.retryBaseDelayMs, L.retryBaseDelayMs)
  const retryMaxDelayMs = checkInt('retryMaxDelayMs', config.retryMaxDelayMs ?? D.retryMaxDelayMs, L.retryMaxDelayMs)
  const maxResponseBytes = checkInt('maxResponseBytes', config.maxResponseBytes ?? D.maxResponseBytes, L.maxResponseBytes)
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
    maxWaitMs: Math.round(maxWaitSeconds * 1000),
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
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
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

function checkInt(option: string, value: unknown, { min, max }: IntRange): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OktaConfigError(option, `must be an integer from ${min} to ${max}`)
  }
  return value
}
