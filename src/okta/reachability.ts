import { OktaUnreachableError } from './errors.ts'
import type { TransportFailure } from './transport.ts'

/**
 * Whether the org can be reached at all, learnt from this client's own requests.
 *
 * Until the org has answered once, a connection-level failure (refused, DNS, connect timeout,
 * no route) is not retried, and once `UNANSWERED_TIMEOUTS` requests (counted over the whole client:
 * the resources start together, so against an org that never answers they all time out at once)
 * got no answer within the timeout, none is retried any more: retrying a wrong
 * URL or a firewalled org seven times per resource only turns a one-line answer into minutes of
 * silence. The verdict sticks: every later request of the client fails with the same error at
 * once, so the other resources (and their children) stop too. Once the org has answered, the
 * same failures are transient and retried as usual.
 */

/** Socket-level codes that mean "no connection could be made" (as opposed to one that broke). */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** Timeouts, before any answer, after which the org counts as unreachable (one unlucky first request is retried). */
export const UNANSWERED_TIMEOUTS = 3

export class Reachability {
  readonly #orgUrl: string
  #answered = false
  #unansweredTimeouts = 0
  #unreachable: OktaUnreachableError | null = null

  constructor(orgUrl: string) {
    this.#orgUrl = orgUrl
  }

  /** The org answered (any status): from now on network failures are transient. */
  answered(): void {
    this.#answered = true
  }

  /** Throws the sticky verdict, if the org is known unreachable. */
  check(): void {
    if (this.#unreachable !== null) throw this.#unreachable
  }

  /**
   * After a failure with no response: the error that ends the run's requests to this org, or
   * null to handle it as a transient failure.
   */
  judge(failure: TransportFailure, request: { method: string; path: string }, timeoutMs: number): OktaUnreachableError | null {
    if (this.#unreachable !== null) return this.#unreachable
    if (this.#answered || failure.status !== null) return null
    const connectFailed = failure.networkCode !== null && CONNECT_FAILURES.has(failure.networkCode)
    if (!connectFailed && (failure.kind !== 'timeout' || ++this.#unansweredTimeouts < UNANSWERED_TIMEOUTS)) return null
    this.#unreachable = new OktaUnreachableError({
      orgUrl: this.#orgUrl,
      method: request.method,
      path: request.path,
      networkCode: connectFailed ? failure.networkCode : 'ETIMEDOUT',
      reason: connectFailed ? failure.message : `no answer to ${UNANSWERED_TIMEOUTS} requests within ${timeoutMs} ms each`,
      cause: failure.cause,
    })
    return this.#unreachable
  }
}
