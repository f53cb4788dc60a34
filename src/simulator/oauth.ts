/**
 * The org authorization server's token endpoint for service apps: client credentials with a
 * `private_key_jwt` client assertion, verified with jose against the registered public key.
 * Errors use the OAuth shape `{error, error_description}`.
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, importJWK, importSPKI, jwtVerify, type CryptoKey, type JWK, type KeyObject } from 'jose'
import type { ApiResponse } from './api-response.ts'
import type { OAuthClientRegistration } from './types.ts'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface IssuedToken {
  scopes: Set<string>
  expiresAt: number
}

function oauthError(status: number, error: string, description: string): ApiResponse {
  return { status, body: { error, error_description: description } }
}

export class OAuthServer {
  readonly #clients: Map<string, OAuthClientRegistration>
  readonly #ttlSeconds: number
  readonly #tokens = new Map<string, IssuedToken>()

  constructor(clients: OAuthClientRegistration[], ttlSeconds: number) {
    this.#clients = new Map(clients.map((c) => [c.clientId, c]))
    this.#ttlSeconds = ttlSeconds
  }

  /** Scopes of a live access token, or undefined when unknown or expired. */
  scopesOf(accessToken: string, now: number): Set<string> | undefined {
    const t = this.#tokens.get(accessToken)
    if (!t) return undefined
    if (now >= t.expiresAt) {
      this.#tokens.delete(accessToken)
      return undefined
    }
    return t.scopes
  }

  expireAll(): void {
    this.#tokens.clear()
  }

  async #key(reg: OAuthClientRegistration, alg: string): Promise<CryptoKey | KeyObject | Uint8Array> {
    if (typeof reg.publicKey === 'string') return importSPKI(reg.publicKey, alg)
    return importJWK(reg.publicKey as JWK, alg)
  }

  /** POST /oauth2/v1/token with a parsed form body; `audiences` are the accepted `aud` values. */
  async token(form: URLSearchParams, audiences: string[]): Promise<ApiResponse> {
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].')
    }
    const assertion = form.get('client_assertion')
    if (!assertion || form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return oauthError(400, 'invalid_request', 'The client_assertion and client_assertion_type parameters are required.')
    }
    let clientId: string | undefined
    let alg: string | undefined
    try {
      clientId = decodeJwt(assertion).iss
      alg = decodeProtectedHeader(assertion).alg
    } catch {
      return oauthError(401, 'invalid_client', 'The client_assertion token is malformed.')
    }
    const reg = clientId === undefined ? undefined : this.#clients.get(clientId)
    if (!reg || !alg) return oauthError(401, 'invalid_client', 'The client_id is invalid or the client is not registered.')
    const formClientId = form.get('client_id')
    if (formClientId !== null && formClientId !== reg.clientId) {
      return oauthError(401, 'invalid_client', 'The client_id does not match the client_assertion issuer.')
    }
    try {
      const key = await this.#key(reg, alg)
      const { payload } = await jwtVerify(assertion, key, {
        issuer: reg.clientId,
        subject: reg.clientId,
        audience: audiences,
        requiredClaims: ['exp'],
        clockTolerance: 5,
      })
      if ((payload.exp as number) - Date.now() / 1000 > 3600 + 5) {
        return oauthError(401, 'invalid_client', 'The client_assertion token has an expiration too far in the future.')
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : 'verification failed'
      return oauthError(401, 'invalid_client', `The client_assertion token is invalid: ${reason}`)
    }
    const requested = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '')
    if (requested.length === 0) {
      return oauthError(400, 'invalid_scope', "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
    }
    const denied = requested.filter((s) => !reg.scopes.includes(s))
    if (denied.length > 0) return oauthError(400, 'invalid_scope', `The following scopes are not allowed: ${denied.join(', ')}`)
    const accessToken = `eyJraWQiOiJzaW0iLCJhbGciOiJSUzI1NiJ9.${randomBytes(48).toString('base64url')}.${randomBytes(32).toString('base64url')}`
    this.#tokens.set(accessToken, { scopes: new Set(requested), expiresAt: Date.now() + this.#ttlSeconds * 1000 })
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: this.#ttlSeconds, access_token: accessToken, scope: requested.join(' ') },
      headers: { 'cache-control': 'no-cache, no-store', pragma: 'no-cache' },
    }
  }
}
