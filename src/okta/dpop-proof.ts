import { createHash, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

/**
 * DPoP proofs (RFC 9449 §4) signed with an ephemeral ES256 key: one key per `DpopProver`, i.e. per
 * run, generated on first use and never written anywhere. It is deliberately not the client
 * assertion key (that one is the app's registered identity; this one only binds the run's access
 * tokens). The private key lives in a `#private` field and is a non-extractable WebCrypto key, so
 * neither `JSON.stringify`, `util.inspect` nor an error message can carry it.
 */
export interface ProofRequest {
  /** `htm`: the request's method. */
  method: string
  /** The request's absolute URL; `htu` is it without query and fragment (RFC 9449 §4.2). */
  url: string
  /** The server's latest `DPoP-Nonce`, when it gave one. */
  nonce?: string | null
  /** The access token the request carries (resource requests): `ath` is its SHA-256. */
  accessToken?: string
}

export class DpopProver {
  #keys: Promise<{ privateKey: CryptoKey; jwk: JWK }> | null = null

  /** A fresh proof (new `jti`, `iat` now) for one request. */
  async proof(req: ProofRequest): Promise<string> {
    const { privateKey, jwk } = await this.#keyPair()
    const claims: Record<string, string> = { htm: req.method, htu: htu(req.url) }
    if (req.nonce) claims['nonce'] = req.nonce
    if (req.accessToken !== undefined) claims['ath'] = accessTokenHash(req.accessToken)
    return new SignJWT(claims)
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(privateKey)
  }

  #keyPair(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
    // Single flight: concurrent first proofs share one key (a token is bound to exactly one).
    this.#keys ??= generateKeyPair('ES256').then(async ({ privateKey, publicKey }) => {
      const { kty, crv, x, y } = await exportJWK(publicKey)
      return { privateKey, jwk: { kty, crv, x, y } as JWK }
    })
    return this.#keys
  }
}

/** `htu`: the URL without query and fragment (RFC 9449 §4.2). */
export function htu(url: string): string {
  const u = new URL(url)
  return `${u.origin}${u.pathname}`
}

/** `ath`: base64url(SHA-256(ASCII access token)) (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}
