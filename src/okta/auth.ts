import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import type { OktaAuth } from '../pipeline/types.ts'
import { registerSecret } from '../util/redact.ts'
import { OktaConfigError, OktaResponseError } from './errors.ts'

/**
 * Credentials for API calls. SSWS is a fixed header; OAuth 2.0 runs the client-credentials grant
 * with a `private_key_jwt` assertion against the org authorization server and caches the access
 * token. Nothing here logs or stringifies a secret: the token, the key and the assertion stay in
 * `#private` fields (invisible to `JSON.stringify` and `util.inspect`).
 */
export interface AuthProvider {
  /** The `Authorization` header value for the next API call. */
  authorization(signal?: AbortSignal): Promise<string>
  /**
   * Called after a 401 with the header value that was rejected. True when a retry with a fresh
   * credential may succeed (OAuth: the cached token is dropped); false for a fixed token.
   */
  invalidate(rejected: string): boolean
}

/** `POST /oauth2/v1/token` as the client performs it (paced, retried, errors mapped). */
export type TokenRequester = (form: string, signal?: AbortSignal) => Promise<unknown>

export const TOKEN_PATH = '/oauth2/v1/token'

export class SswsAuth implements AuthProvider {
  readonly #header: string

  constructor(token: string) {
    registerSecret(token)
    this.#header = `SSWS ${token}`
  }

  authorization(): Promise<string> {
    return Promise.resolve(this.#header)
  }

  invalidate(): boolean {
    return false
  }
}

export interface OAuthAuthOptions {
  orgUrl: string
  clientId: string
  privateKey: string
  keyId?: string
  scopes: readonly string[]
  requestToken: TokenRequester
  /** Clock, injectable for tests. */
  now?: () => number
  onToken?: (info: { expiresInS: number; scope: string | null }) => void
}

interface CachedToken {
  header: string
  /** Local ms after which a new token is fetched. */
  refreshAt: number
}

export class OAuthAuth implements AuthProvider {
  readonly #clientId: string
  readonly #audience: string
  readonly #scopes: string
  readonly #key: SigningKey
  readonly #requestToken: TokenRequester
  readonly #now: () => number
  readonly #onToken: OAuthAuthOptions['onToken']
  #cached: CachedToken | null = null
  #pending: Promise<string> | null = null

  constructor(opts: OAuthAuthOptions) {
    this.#clientId = opts.clientId
    this.#audience = `${opts.orgUrl}${TOKEN_PATH}`
    this.#scopes = opts.scopes.join(' ')
    registerSecret(opts.privateKey)
    this.#key = loadSigningKey(opts.privateKey, opts.keyId)
    this.#requestToken = opts.requestToken
    this.#now = opts.now ?? Date.now
    this.#onToken = opts.onToken
  }

  authorization(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached
    if (cached !== null && this.#now() < cached.refreshAt) return Promise.resolve(cached.header)
    // Single flight: every request that finds the token stale waits for the same grant. The grant
    // itself is not tied to any one caller's signal (one caller aborting must not fail the others).
    if (this.#pending === null) {
      this.#pending = this.#fetch().finally(() => {
        this.#pending = null
      })
    }
    return signal === undefined ? this.#pending : untilAborted(this.#pending, signal)
  }

  invalidate(rejected: string): boolean {
    // Only drop the token that was rejected: a concurrent 401 must not throw away a fresh one.
    if (this.#cached?.header === rejected) this.#cached = null
    return true
  }

  async #fetch(): Promise<string> {
    const assertion = await this.#assertion()
    registerSecret(assertion)
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: this.#scopes,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString()
    const startedAt = this.#now()
    const body = await this.#requestToken(form)
    const token = readTokenResponse(body)
    // Registered as it is minted: a server or proxy echoing it back must not get it printed or stored.
    registerSecret(token.accessToken)
    const ttlMs = token.expiresIn * 1000
    // Refresh ~60 s before expiry (less for very short-lived tokens) so no request carries a token
    // that expires in flight.
    const lead = Math.min(60_000, ttlMs / 4)
    const header = `Bearer ${token.accessToken}`
    this.#cached = { header, refreshAt: startedAt + ttlMs - lead }
    this.#onToken?.({ expiresInS: token.expiresIn, scope: token.scope })
    return header
  }

  #assertion(): Promise<string> {
    const now = Math.floor(this.#now() / 1000)
    const header: { alg: string; typ: string; kid?: string } = { alg: this.#key.alg, typ: 'JWT' }
    if (this.#key.kid !== undefined) header.kid = this.#key.kid
    return new SignJWT({})
      .setProtectedHeader(header)
      .setIssuer(this.#clientId)
      .setSubject(this.#clientId)
      .setAudience(this.#audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(this.#key.key)
  }
}

/** Builds the provider for a configured `OktaAuth`. Validates (and for OAuth, parses the key) eagerly. */
export function createAuth(auth: OktaAuth, orgUrl: string, requestToken: TokenRequester, onToken?: OAuthAuthOptions['onToken']): AuthProvider {
  if (auth.type === 'ssws') return new SswsAuth(auth.token)
  return new OAuthAuth({
    orgUrl,
    clientId: auth.clientId,
    privateKey: auth.privateKey,
    ...(auth.keyId === undefined ? {} : { keyId: auth.keyId }),
    scopes: auth.scopes,
    requestToken,
    ...(onToken === undefined ? {} : { onToken }),
  })
}

interface SigningKey {
  key: KeyObject
  alg: string
  kid: string | undefined
}

const EC_ALGS: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }

/**
 * Reads a private key given as PEM (PKCS#8, or PKCS#1/SEC1) or as JWK JSON text. The algorithm
 * follows the key: RS256 for RSA, ES256/384/512 by EC curve. Errors never quote the key.
 */
export function loadSigningKey(text: string, keyId?: string): SigningKey {
  // Keys pasted into environment variables often arrive with literal "\n" sequences.
  const trimmed = text.includes('\n') ? text.trim() : text.trim().replace(/\\n/g, '\n')
  let key: KeyObject
  let jwkKid: string | undefined
  try {
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>
      if (typeof jwk['kid'] === 'string') jwkKid = jwk['kid']
      key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' })
    } else {
      key = createPrivateKey({ key: trimmed, format: 'pem' })
    }
  } catch {
    // Deliberately no `cause`: parser errors may echo fragments of the input.
    throw new OktaConfigError('auth.privateKey', 'not a readable private key (expected PKCS#8 PEM or a private JWK as JSON)')
  }
  if (key.type !== 'private') throw new OktaConfigError('auth.privateKey', 'is not a private key')
  let alg: string
  if (key.asymmetricKeyType === 'rsa') alg = 'RS256'
  else if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? ''
    const ec = EC_ALGS[curve]
    if (ec === undefined) throw new OktaConfigError('auth.privateKey', `unsupported EC curve ${curve || '(unknown)'}`)
    alg = ec
  } else {
    throw new OktaConfigError('auth.privateKey', `unsupported key type ${key.asymmetricKeyType ?? '(unknown)'} (use RSA or EC)`)
  }
  return { key, alg, kid: keyId ?? jwkKid }
}

interface TokenResponse {
  accessToken: string
  expiresIn: number
  scope: string | null
}

function readTokenResponse(body: unknown): TokenResponse {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const accessToken = b['access_token']
  const expiresIn = b['expires_in']
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new OktaResponseError({ method: 'POST', path: TOKEN_PATH, status: 200, reason: 'token response has no access_token' })
  }
  return {
    accessToken,
    expiresIn: typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600,
    scope: typeof b['scope'] === 'string' ? b['scope'] : null,
  }
}

/** `promise`, or a rejection with the signal's reason if it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}
