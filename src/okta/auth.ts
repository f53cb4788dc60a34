import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { registerSecret } from '../util/redact.ts'
import { DpopProver } from './dpop-proof.ts'
import { OktaAuthError, OktaConfigError, OktaResponseError } from './errors.ts'
import type { OktaAuth } from './types.ts'

/**
 * Credentials for API calls. SSWS is a fixed header; OAuth 2.0 runs the client-credentials grant
 * with a `private_key_jwt` assertion against the org authorization server, caches the access
 * token and, when the service app requires it (or `dpop: true`), binds it to the run's DPoP key
 * (RFC 9449; dpop-proof.ts) and signs a fresh proof for every request. Nothing here logs or
 * stringifies a secret: the token, the keys and the assertion stay in `#private` fields (invisible
 * to `JSON.stringify` and `util.inspect`), and errors are built from Okta's error body only.
 */
export interface AuthProvider {
  /**
   * The headers that authenticate one attempt of `request`: `authorization`, plus `dpop` (the
   * proof) for a DPoP-bound token. Called before every attempt, never reused: a proof is single use.
   * The client calls it before the attempt waits for pacing (a token fetch needs a slot itself);
   * that wait is bounded by a rate-limit window (a minute at Okta), well inside the 5 minutes a
   * proof's `iat` stays acceptable.
   */
  headersFor(request: AuthRequest, signal?: AbortSignal): Promise<Record<string, string>>
  /**
   * Called after a 401 with the headers that were rejected and the response's headers. True when
   * a retry with fresh headers may succeed: OAuth drops the rejected token, or takes the new
   * `DPoP-Nonce` of a `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge; false for a
   * fixed token.
   */
  onUnauthorized(rejected: Record<string, string>, responseHeaders: ResponseHeaders): boolean
}

export interface AuthRequest {
  method: 'GET' | 'POST'
  /** The absolute URL as sent (query included; a proof's `htu` drops it). */
  url: string
}

export type ResponseHeaders = Record<string, string | string[] | undefined>

/** One attempt's token request: the form (with a fresh client assertion) and its headers (a fresh DPoP proof). */
export interface SignedTokenRequest {
  form: string
  headers: Record<string, string>
}

/** What the token endpoint answered: a 2xx, or one of its OAuth errors (a 4xx other than 429). */
export interface TokenReply {
  status: number
  headers: ResponseHeaders
  /** The parsed body; null when it is not JSON. */
  json: unknown
  requestId: string | null
}

/**
 * `POST /oauth2/v1/token` as the client performs it: paced in the `token` bucket, 429/5xx/network
 * failures retried, everything else returned. `sign` runs before every attempt: Okta accepts a
 * client assertion and a DPoP proof once only.
 */
export type TokenRequester = (sign: () => Promise<SignedTokenRequest>, signal?: AbortSignal) => Promise<TokenReply>

/** `okta.auth.dpop`: `"auto"` sends proofs once the token endpoint demands them; `true` always; `false` never. */
export type DpopMode = 'auto' | boolean

export const TOKEN_PATH = '/oauth2/v1/token'

export class SswsAuth implements AuthProvider {
  readonly #header: string

  constructor(token: string) {
    registerSecret(token)
    this.#header = `SSWS ${token}`
  }

  headersFor(): Promise<Record<string, string>> {
    return Promise.resolve({ authorization: this.#header })
  }

  onUnauthorized(): boolean {
    return false
  }
}

export interface OAuthAuthOptions {
  orgUrl: string
  clientId: string
  privateKey: string
  keyId?: string
  scopes: readonly string[]
  /** Default `"auto"`. */
  dpop?: DpopMode
  requestToken: TokenRequester
  /** Clock, injectable for tests. */
  now?: () => number
  onToken?: (info: { expiresInS: number; scope: string | null; tokenType: 'Bearer' | 'DPoP' }) => void
  /** Okta refused these scopes; the grant was asked again without them. */
  onScopesRefused?: (scopes: string[]) => void
}

interface CachedToken {
  scheme: 'Bearer' | 'DPoP'
  accessToken: string
  /** Local ms after which a new token is fetched. */
  refreshAt: number
}

export class OAuthAuth implements AuthProvider {
  readonly #clientId: string
  readonly #audience: string
  /** The scopes asked for; narrowed once when Okta refuses some (see `#fetch`). */
  #scopes: readonly string[]
  readonly #key: SigningKey
  readonly #requestToken: TokenRequester
  readonly #now: () => number
  readonly #onToken: OAuthAuthOptions['onToken']
  readonly #onScopesRefused: OAuthAuthOptions['onScopesRefused']
  readonly #dpopMode: DpopMode
  readonly #prover = new DpopProver()
  /** Whether token requests carry a proof: from the start with `dpop: true`, once demanded with `"auto"`. */
  #useDpop: boolean
  /** The latest `DPoP-Nonce` of the token endpoint and of the resource server (RFC 9449 §8, §9: separate). */
  #tokenNonce: string | null = null
  #resourceNonce: string | null = null
  #cached: CachedToken | null = null
  #pending: Promise<CachedToken> | null = null

  constructor(opts: OAuthAuthOptions) {
    this.#clientId = opts.clientId
    this.#audience = `${opts.orgUrl}${TOKEN_PATH}`
    this.#scopes = opts.scopes
    registerSecret(opts.privateKey)
    this.#key = loadSigningKey(opts.privateKey, opts.keyId)
    this.#requestToken = opts.requestToken
    this.#now = opts.now ?? Date.now
    this.#onToken = opts.onToken
    this.#onScopesRefused = opts.onScopesRefused
    this.#dpopMode = opts.dpop ?? 'auto'
    this.#useDpop = this.#dpopMode === true
  }

  async headersFor(request: AuthRequest, signal?: AbortSignal): Promise<Record<string, string>> {
    const token = await this.#token(signal)
    const authorization = `${token.scheme} ${token.accessToken}`
    if (token.scheme === 'Bearer') return { authorization }
    const proof = await this.#prover.proof({ method: request.method, url: request.url, nonce: this.#resourceNonce, accessToken: token.accessToken })
    return { authorization, dpop: proof }
  }

  onUnauthorized(rejected: Record<string, string>, responseHeaders: ResponseHeaders): boolean {
    const nonce = headerValue(responseHeaders, 'dpop-nonce')
    if (rejected['dpop'] !== undefined && nonce !== null && dpopChallengeError(responseHeaders) === 'use_dpop_nonce') {
      // The resource server wants a (new) nonce in the proof: the token itself is fine.
      this.#resourceNonce = nonce
      return true
    }
    // Only drop the token that was rejected: a concurrent 401 must not throw away a fresh one.
    const cached = this.#cached
    if (cached !== null && rejected['authorization'] === `${cached.scheme} ${cached.accessToken}`) this.#cached = null
    return true
  }

  #token(signal?: AbortSignal): Promise<CachedToken> {
    const cached = this.#cached
    if (cached !== null && this.#now() < cached.refreshAt) return Promise.resolve(cached)
    // Single flight: every request that finds the token stale waits for the same grant. The grant
    // itself is not tied to any one caller's signal (one caller aborting must not fail the others).
    if (this.#pending === null) {
      this.#pending = this.#fetch().finally(() => {
        this.#pending = null
      })
    }
    return signal === undefined ? this.#pending : untilAborted(this.#pending, signal)
  }

  /**
   * The grant, with RFC 9449's handshakes: a `use_dpop_nonce` answer is retried (up to
   * NONCE_RETRIES times) with the nonce it carries and a fresh proof; under `"auto"`, an answer
   * saying the app requires DPoP switches this run to DPoP and retries. Anything else the endpoint refuses is an OktaAuthError.
   */
  async #fetch(): Promise<CachedToken> {
    let nonceRetries = 0
    let switched = false
    for (;;) {
      const withProof = this.#useDpop
      const startedAt = this.#now()
      // Signed per attempt, so a retried request (after a 5xx) carries a fresh assertion and proof and the latest nonce.
      const reply = await this.#requestToken(async (): Promise<SignedTokenRequest> => {
        const headers: Record<string, string> = {}
        if (withProof) headers['dpop'] = await this.#prover.proof({ method: 'POST', url: this.#audience, nonce: this.#tokenNonce })
        return { form: this.#form(await this.#assertion()), headers }
      })
      const nonce = headerValue(reply.headers, 'dpop-nonce')
      // The server may hand out a new nonce on any answer; the next proof carries the latest.
      if (nonce !== null) this.#tokenNonce = nonce
      if (reply.status >= 200 && reply.status < 300) return this.#cache(readTokenResponse(reply.json), startedAt, withProof)
      const error = readOAuthError(reply.json)
      if (withProof && error.code === 'use_dpop_nonce' && nonce !== null && nonceRetries < NONCE_RETRIES) {
        nonceRetries++
        continue
      }
      const refused = error.code === 'invalid_scope' ? refusedScopes(this.#scopes, error.description) : []
      if (refused.length > 0 && refused.length < this.#scopes.length) {
        // Okta refuses the whole grant for one scope the app lacks. Ask for the others, so only the
        // resources needing a refused scope fail (their requests get 403 naming it), not the run.
        this.#scopes = this.#scopes.filter((s) => !refused.includes(s))
        this.#onScopesRefused?.(refused)
        continue
      }
      if (!withProof && demandsDpop(error)) {
        if (this.#dpopMode === 'auto' && !switched) {
          switched = true
          this.#useDpop = true
          continue
        }
        throw tokenError(reply, error, 'the service app requires DPoP proofs; set okta.auth.dpop to "auto" or true')
      }
      throw tokenError(reply, error)
    }
  }

  #cache(token: TokenResponse, startedAt: number, withProof: boolean): CachedToken {
    // Registered as it is minted: a server or proxy echoing it back must not get it printed or stored.
    registerSecret(token.accessToken)
    const ttlMs = token.expiresIn * 1000
    // Refresh ~60 s before expiry (less for very short-lived tokens) so no request carries a token
    // that expires in flight.
    const lead = Math.min(60_000, ttlMs / 4)
    // A proof sent and a `DPoP` token type back: the token is bound to our key (RFC 9449 §5).
    const scheme = withProof && token.tokenType.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer'
    const cached: CachedToken = { scheme, accessToken: token.accessToken, refreshAt: startedAt + ttlMs - lead }
    this.#cached = cached
    this.#onToken?.({ expiresInS: token.expiresIn, scope: token.scope, tokenType: scheme })
    return cached
  }

  #form(assertion: string): string {
    registerSecret(assertion)
    return new URLSearchParams({
      grant_type: 'client_credentials',
      scope: this.#scopes.join(' '),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString()
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
export function createAuth(
  auth: OktaAuth,
  orgUrl: string,
  requestToken: TokenRequester,
  events: Pick<OAuthAuthOptions, 'onToken' | 'onScopesRefused'> = {},
): AuthProvider {
  if (auth.type === 'ssws') return new SswsAuth(auth.token)
  return new OAuthAuth({
    orgUrl,
    clientId: auth.clientId,
    privateKey: auth.privateKey,
    ...(auth.keyId === undefined ? {} : { keyId: auth.keyId }),
    scopes: auth.scopes,
    ...(auth.dpop === undefined ? {} : { dpop: auth.dpop }),
    requestToken,
    ...events,
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
  tokenType: string
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
    tokenType: typeof b['token_type'] === 'string' ? b['token_type'] : 'Bearer',
    accessToken,
    expiresIn: typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600,
    scope: typeof b['scope'] === 'string' ? b['scope'] : null,
  }
}

/** The token endpoint's OAuth error (`error`/`error_description`), or Okta's shape (`errorCode`/`errorSummary`). */
/** The requested scopes an `invalid_scope` description names ("The following scopes are not allowed: a, b"). */
function refusedScopes(requested: readonly string[], description: string | null): string[] {
  if (description === null) return []
  const named = new Set(description.match(/[A-Za-z][\w.:-]*\.[\w.:-]*[A-Za-z]/g) ?? [])
  return requested.filter((s) => named.has(s))
}

function readOAuthError(body: unknown): { code: string | null; description: string | null } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)
  return { code: str(b['error']) ?? str(b['errorCode']), description: str(b['error_description']) ?? str(b['errorSummary']) }
}

/**
 * Whether a token error sent without a proof says the app requires DPoP. Okta: 400
 * `invalid_dpop_proof` "The DPoP proof JWT header is missing."; any `invalid_dpop_proof` to a
 * request that carried no proof can only mean that.
 */
function demandsDpop(error: { code: string | null; description: string | null }): boolean {
  return error.code === 'invalid_dpop_proof' || (error.code === 'invalid_request' && /\bDPoP\b/i.test(error.description ?? ''))
}

function tokenError(reply: TokenReply, error: { code: string | null; description: string | null }, hint?: string): OktaAuthError {
  return new OktaAuthError({
    method: 'POST',
    path: TOKEN_PATH,
    status: reply.status,
    requestId: reply.requestId,
    errorCode: error.code,
    errorSummary: error.description,
    ...(hint === undefined ? {} : { hint }),
  })
}

function headerValue(headers: ResponseHeaders, name: string): string | null {
  const v = headers[name]
  const first = Array.isArray(v) ? v[0] : v
  return first === undefined || first === '' ? null : first
}

/**
 * Retries with a new DPoP nonce before a request (to a resource or the token endpoint) gives up
 * (RFC 9449 §8, §9): the server may rotate its nonce again before the retry arrives (seen under
 * load: two challenges in a row).
 */
export const NONCE_RETRIES = 3

/** The `error` of a `WWW-Authenticate: DPoP …` challenge (RFC 9449 §7.1), or null. */
export function dpopChallengeError(headers: ResponseHeaders): string | null {
  const v = headers['www-authenticate']
  for (const challenge of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
    if (!/^\s*DPoP\b/i.test(challenge)) continue
    const m = /\berror="([^"]*)"/i.exec(challenge)
    if (m?.[1] !== undefined) return m[1]
  }
  return null
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
