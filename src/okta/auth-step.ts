import type { AuthProvider } from './auth.ts'

/**
 * The auth step of one attempt, kept apart from the retry loop so that a change of the provider's
 * interface (DPoP: per-request proofs bound to method and URL, nonce refresh on a 401) is a change
 * of these two functions only.
 */

export interface AuthTarget {
  method: 'GET' | 'POST'
  /** The absolute URL of the request (what a DPoP proof's `htu` names). */
  url: string
}

/** The credential headers for one attempt (today `Authorization` alone). */
export async function credentialHeaders(auth: AuthProvider, _target: AuthTarget, signal?: AbortSignal): Promise<Record<string, string>> {
  return { authorization: await auth.authorization(signal) }
}

/**
 * After a 401: true when another attempt with a fresh credential may succeed (an OAuth access
 * token expired or was revoked: the provider drops it); false for a fixed SSWS token.
 */
export function mayRetryUnauthorized(
  auth: AuthProvider,
  sent: Readonly<Record<string, string>>,
  _responseHeaders: Readonly<Record<string, string | string[] | undefined>>,
): boolean {
  const rejected = sent['authorization']
  return rejected !== undefined && auth.invalidate(rejected)
}
