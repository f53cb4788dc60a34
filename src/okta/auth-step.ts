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

/** The credential headers for one attempt: `Authorization`, and a fresh `DPoP` proof for a DPoP-bound token. */
export async function credentialHeaders(auth: AuthProvider, target: AuthTarget, signal?: AbortSignal): Promise<Record<string, string>> {
  return auth.headersFor(target, signal)
}

/**
 * After a 401: true when another attempt may succeed (an OAuth access token expired or was
 * revoked: the provider drops it; a DPoP nonce challenge: it takes the new nonce); false for a
 * fixed SSWS token.
 */
export function mayRetryUnauthorized(
  auth: AuthProvider,
  sent: Readonly<Record<string, string>>,
  responseHeaders: Readonly<Record<string, string | string[] | undefined>>,
): boolean {
  return auth.onUnauthorized(sent, responseHeaders)
}
