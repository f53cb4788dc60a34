/**
 * The org authorization server's token endpoint for service apps: client credentials with a
 * `private_key_jwt` client assertion, verified with jose against the registered public key, each
 * assertion accepted once. A request with a DPoP proof (required for an app registered with
 * `requireDpop`) gets a token bound to the proof's key (`cnf.jkt`, token_type `DPoP`), which the
 * Management API then accepts only with `Authorization: DPoP` and a valid proof (dpop.ts).
 * Errors use the OAuth shape `{error, error_description}`.
 */
import { randomBytes } from 'node:crypto'
import { decodeJwt, decodeProtectedHeader, importJWK, importSPKI, jwtVerify, type CryptoKey, type JWK, type KeyObject } from 'jose'
import type { ApiResponse } from './api-response.ts'
import { DpopVerifier } from './dpop.ts'
import type { DpopOptions, OAuthClientRegistration } from './types.ts'

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface IssuedToken {
  scopes: Set<string>
  expiresAt: number
  /** `cnf.jkt`: the thumbprint of the DPoP key the token is bound to, if any. */
  jkt?: string
}

/** A resource request's credential as the server read it. */
export interface ResourceCredential {
  /** `Bearer` or `DPoP` (case as sent). */
  scheme: string
  accessToken: string
  /** The `DPoP` header(s). */
  proof: string | string[] | undefined
  method: string
  /** The request URL without query. */
  htu: string
}

/** Scopes of a live token, an OAuth/DPoP error answer, or undefined (unknown or expired token: 401 E0000011). */
export type ResourceAccess = { scopes: Set<string> } | { response: ApiResponse } | undefined

/** The `htu` a proof claims (so a token URL addressed by another loopback name still matches), if readable. */
function proofHtu(proof: string | string[] | undefined): string | undefined {
  if (typeof proof !== 'string') return undefined
  try {
    const htu = decodeJwt(proof).htu
    return typeof htu === 'string' ? htu : undefined
  } catch {
    return undefined
  }
}

function oauthError(status: number, error: string, description: string): ApiResponse {
  return { status, body: { error, error_description: description } }
}

export class OAuthServer {
  readonly #clients: Map<string, OAuthClientRegistration>
  readonly #ttlSeconds: number
  readonly #tokens = new Map<string, IssuedToken>()
  /** Client assertion `jti`s already accepted → when they expire (Okta accepts an assertion once). */
  readonly #assertions = new Map<string, number>()
  readonly #dpop: DpopVerifier

  constructor(clients: OAuthClientRegistration[], ttlSeconds: number, dpop: DpopOptions = {}) {
    this.#clients = new Map(clients.map((c) => [c.clientId, c]))
    this.#ttlSeconds = ttlSeconds
    this.#dpop = new DpopVerifier(dpop)
  }

  /** A new DPoP nonce: the next proof carrying the old one is answered `use_dpop_nonce`. */
  rotateDpopNonce(): void {
    this.#dpop.rotateNonce()
  }

  /**
   * What an `Authorization: Bearer|DPoP <token>` may read. A DPoP-bound token needs the `DPoP`
   * scheme and a valid proof for this request; an unbound one the `Bearer` scheme.
   */
  async access(cred: ResourceCredential, now: number): Promise<ResourceAccess> {
    const t = this.#tokens.get(cred.accessToken)
    if (!t) return undefined
    if (now >= t.expiresAt) {
      this.#tokens.delete(cred.accessToken)
      return undefined
    }
    const dpopScheme = cred.scheme.toLowerCase() === 'dpop'
    if (t.jkt === undefined) {
      if (!dpopScheme) return { scopes: t.scopes }
      return { response: { status: 400, body: { error: 'invalid_dpop_proof', error_description: 'The access token is not a DPoP-bound token.' } } }
    }
    const proof = dpopScheme ? cred.proof : undefined
    const checked = await this.#dpop.verify(proof, { method: cred.method, htu: cred.htu, accessToken: cred.accessToken, boundJkt: t.jkt })
    return checked.ok ? { scopes: t.scopes } : { response: checked.response }
  }

  expireAll(): void {
    this.#tokens.clear()
  }

  async #key(reg: OAuthClientRegistration, alg: string): Promise<CryptoKey | KeyObject | Uint8Array> {
    if (typeof reg.publicKey === 'string') return importSPKI(reg.publicKey, alg)
    return importJWK(reg.publicKey as JWK, alg)
  }

  /**
   * POST /oauth2/v1/token with a parsed form body; `audiences` are the accepted `aud` values (and
   * `htu`s of a DPoP proof), `proof` the request's `DPoP` header(s).
   */
  async token(form: URLSearchParams, audiences: string[], proof?: string | string[]): Promise<ApiResponse> {
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].')
    }
    const assertion = form.get('client_assertion')
    if (!assertion || form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return oauthError(400, 'invalid_request', 'The client_assertion and client_assertion_type parameters are required.')
    }
    let clientId: string | undefined
    let alg: string | undefined
    let jti: unknown
    try {
      const claims = decodeJwt(assertion)
      clientId = claims.iss
      jti = claims.jti
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
    if (typeof jti === 'string') {
      const now = Date.now()
      for (const [seen, until] of this.#assertions) if (until < now) this.#assertions.delete(seen)
      if (this.#assertions.has(jti)) return oauthError(401, 'invalid_client', 'The client_assertion token has already been used.')
      this.#assertions.set(jti, now + 3600_000 + 5000)
    }
    let jkt: string | undefined
    if (reg.requireDpop === true || proof !== undefined) {
      const htu = audiences.find((a) => a === proofHtu(proof)) ?? audiences[0] ?? ''
      const checked = await this.#dpop.verify(proof, { method: 'POST', htu })
      if (!checked.ok) return checked.response
      jkt = checked.jkt
    }
    const requested = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '')
    if (requested.length === 0) {
      return oauthError(400, 'invalid_scope', "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
    }
    const denied = requested.filter((s) => !reg.scopes.includes(s))
    if (denied.length > 0) return oauthError(400, 'invalid_scope', `The following scopes are not allowed: ${denied.join(', ')}`)
    const accessToken = `eyJraWQiOiJzaW0iLCJhbGciOiJSUzI1NiJ9.${randomBytes(48).toString('base64url')}.${randomBytes(32).toString('base64url')}`
    this.#tokens.set(accessToken, { scopes: new Set(requested), expiresAt: Date.now() + this.#ttlSeconds * 1000, ...(jkt === undefined ? {} : { jkt }) })
    return {
      status: 200,
      body: { token_type: jkt === undefined ? 'Bearer' : 'DPoP', expires_in: this.#ttlSeconds, access_token: accessToken, scope: requested.join(' ') },
      headers: { 'cache-control': 'no-cache, no-store', pragma: 'no-cache', ...(jkt === undefined ? {} : this.#dpop.nonceHeader()) },
    }
  }
}
