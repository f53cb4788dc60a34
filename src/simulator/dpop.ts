/**
 * DPoP (RFC 9449) as the org authorization server and the Management API enforce it: proof
 * validation (typ, alg, signature by the embedded `jwk`, htm, htu, iat, jti replay, ath, key
 * binding), the server nonce and its rotation. Verification is jose's; the rules and the error
 * answers are Okta's (../shared/okta-api.md §8.6). Okta documents the error codes and three
 * descriptions verbatim ("The DPoP proof JWT header is missing.", "Authorization server requires
 * nonce in DPoP proof.", "The resource request requires a DPoP proof."); the other descriptions
 * are ours, worded the same way.
 */
import { createHash, randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import type { ApiResponse } from './api-response.ts'
import type { DpopOptions } from './types.ts'

/** `dpop_signing_alg_values_supported` of Okta's org authorization server. */
export const DPOP_ALGS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512']
/** A proof older than this is refused (Okta: 5 minutes). */
const MAX_AGE_S = 300
/** Clock skew tolerated for an `iat` slightly ahead of ours. */
const FUTURE_SKEW_S = 5

export interface ProofCheck {
  /** The request's method and URL without query (what `htm` and `htu` must say). */
  method: string
  htu: string
  /** For a resource request: the access token presented (its hash must be the proof's `ath`). */
  accessToken?: string
  /** For a resource request: the thumbprint the access token is bound to. */
  boundJkt?: string
}

export type ProofResult = { ok: true; jkt: string } | { ok: false; response: ApiResponse }

export class DpopVerifier {
  readonly #nonceLifetimeMs: number | undefined
  readonly #resourceNonce: boolean
  #nonce = newNonce()
  /** After a timed rotation the previous nonce stays good for one more lifetime (requests in flight carry it). */
  #previousNonce: string | null = null
  #nonceIssuedAt = Date.now()
  /** jti → local ms after which the proof is too old anyway (and can be forgotten). */
  readonly #seen = new Map<string, number>()

  constructor(opts: DpopOptions = {}) {
    this.#nonceLifetimeMs = opts.nonceLifetimeMs
    this.#resourceNonce = opts.resourceNonce ?? false
  }

  /** A new server nonce; proofs carrying the old one get `use_dpop_nonce` at once. */
  rotateNonce(): void {
    this.#nonce = newNonce()
    this.#previousNonce = null
    this.#nonceIssuedAt = Date.now()
  }

  /** Validates the `DPoP` header(s) of a token request (`boundJkt` unset) or a resource request. */
  async verify(header: string | string[] | undefined, check: ProofCheck): Promise<ProofResult> {
    const resource = check.accessToken !== undefined
    if (header === undefined || header === '') {
      return resource ? refuse(400, 'invalid_request', 'The resource request requires a DPoP proof.', true) : refuse(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.')
    }
    // node:http joins repeated unknown headers with ", "; a compact JWT holds no comma.
    if (Array.isArray(header) || header.includes(',')) return invalid('Multiple DPoP proof JWT headers were provided.', resource)
    let protectedHeader: ReturnType<typeof decodeProtectedHeader>
    let claims: ReturnType<typeof decodeJwt>
    try {
      protectedHeader = decodeProtectedHeader(header)
      claims = decodeJwt(header)
    } catch {
      return invalid('The DPoP proof JWT is malformed.', resource)
    }
    if (protectedHeader.typ !== 'dpop+jwt') return invalid("The DPoP proof JWT 'typ' header must be 'dpop+jwt'.", resource)
    if (typeof protectedHeader.alg !== 'string' || !DPOP_ALGS.includes(protectedHeader.alg)) {
      return invalid(`The DPoP proof JWT 'alg' must be one of ${DPOP_ALGS.join(', ')}.`, resource)
    }
    const jwk = protectedHeader.jwk as JWK | undefined
    if (typeof jwk !== 'object' || jwk === null) return invalid("The DPoP proof JWT 'jwk' header is missing.", resource)
    if ('d' in jwk || 'p' in jwk || 'k' in jwk) return invalid("The DPoP proof JWT 'jwk' header must be a public key.", resource)
    try {
      await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS })
    } catch {
      return invalid('The DPoP proof JWT signature is invalid.', resource)
    }
    if (claims.htm !== check.method) return invalid("The DPoP proof 'htm' does not match the request method.", resource)
    if (claims.htu !== check.htu) return invalid("The DPoP proof 'htu' does not match the request URL.", resource)
    const nowS = Date.now() / 1000
    if (typeof claims.iat !== 'number') return invalid("The DPoP proof 'iat' is missing.", resource)
    if (claims.iat > nowS + FUTURE_SKEW_S) return invalid("The DPoP proof 'iat' is in the future.", resource)
    if (claims.iat < nowS - MAX_AGE_S) return invalid("The DPoP proof 'iat' is too old.", resource)
    if (typeof claims.jti !== 'string' || claims.jti === '') return invalid("The DPoP proof 'jti' is missing.", resource)
    this.#forgetExpired()
    if (this.#seen.has(claims.jti)) return invalid('The DPoP proof has already been used.', resource)
    // Recorded before the nonce check: the retry after `use_dpop_nonce` needs a fresh jti too.
    this.#seen.set(claims.jti, (claims.iat + MAX_AGE_S + FUTURE_SKEW_S) * 1000)
    const jkt = await calculateJwkThumbprint(jwk, 'sha256')
    if (resource) {
      if (claims.ath !== accessTokenHash(check.accessToken!)) return invalid("The DPoP proof 'ath' does not match the access token.", resource)
      if (jkt !== check.boundJkt) return invalid('The access token is not bound to the key of the DPoP proof.', resource)
    }
    if (!resource || this.#resourceNonce) {
      this.#rotateIfDue()
      if (claims.nonce !== this.#nonce && (claims.nonce === undefined || claims.nonce !== this.#previousNonce)) return this.#useNonce(resource)
    }
    return { ok: true, jkt }
  }

  /** Headers to send the current nonce with (RFC 9449 §8.2: on a success too, so clients can stay current). */
  nonceHeader(): Record<string, string> {
    this.#rotateIfDue()
    return { 'dpop-nonce': this.#nonce }
  }

  #useNonce(resource: boolean): ProofResult {
    if (!resource) {
      return { ok: false, response: { status: 400, body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }, headers: this.nonceHeader() } }
    }
    const description = 'Resource server requires nonce in DPoP proof.'
    return {
      ok: false,
      response: {
        status: 401,
        body: { error: 'use_dpop_nonce', error_description: description },
        headers: { ...this.nonceHeader(), 'www-authenticate': `DPoP error="use_dpop_nonce", error_description="${description}", algs="${DPOP_ALGS.join(' ')}"` },
      },
    }
  }

  #rotateIfDue(): void {
    if (this.#nonceLifetimeMs === undefined || Date.now() - this.#nonceIssuedAt < this.#nonceLifetimeMs) return
    const expired = Date.now() - this.#nonceIssuedAt >= 2 * this.#nonceLifetimeMs
    this.#previousNonce = expired ? null : this.#nonce
    this.#nonce = newNonce()
    this.#nonceIssuedAt = Date.now()
  }

  #forgetExpired(): void {
    if (this.#seen.size < 10_000) return
    const now = Date.now()
    for (const [jti, until] of this.#seen) if (until < now) this.#seen.delete(jti)
  }
}

/** `ath`: base64url(SHA-256(access token)). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

function newNonce(): string {
  return randomBytes(24).toString('base64url')
}

function invalid(description: string, resource: boolean): ProofResult {
  return refuse(400, 'invalid_dpop_proof', description, resource)
}

/** An OAuth error answer; resource errors also carry the `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1). */
function refuse(status: number, error: string, description: string, resource = false): ProofResult {
  const headers: Record<string, string> = resource ? { 'www-authenticate': `DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS.join(' ')}"` } : {}
  return { ok: false, response: { status, body: { error, error_description: description }, headers } }
}
