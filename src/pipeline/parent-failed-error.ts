import { OktaEltError } from '../util/errors.ts'

/**
 * A child resource (group_users, apps_assigned) not run because its parent resource failed in
 * this run: the child would list the same failing endpoint and retry on its own, for nothing.
 * Carries the parent's exit code, so a run failed only by a credential problem still exits 2.
 */
export class ParentFailedError extends OktaEltError {
  readonly parent: string
  /** The parent's Okta `errorCode` (e.g. `invalid_client`), which the child would have met too. */
  readonly errorCode: string | null

  constructor(parent: { resource: string; exitCode?: 1 | 2; oktaErrorCode?: string }) {
    super('ERR_PARENT_FAILED', `not run: its parent resource ${parent.resource} failed in this run`, { exitCode: parent.exitCode ?? 1 })
    this.parent = parent.resource
    this.errorCode = parent.oktaErrorCode ?? null
  }
}
