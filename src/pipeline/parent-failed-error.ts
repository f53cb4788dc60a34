import { OktaEltError } from '../util/errors.ts'

/**
 * A child resource (group_users, apps_assigned) not run because its parent resource failed in
 * this run: the child would list the same failing endpoint and retry on its own, for nothing.
 * Carries the parent's exit code, so a run failed only by a credential problem still exits 2.
 */
export class ParentFailedError extends OktaEltError {
  readonly parent: string

  constructor(parent: string, exitCode: 1 | 2) {
    super('ERR_PARENT_FAILED', `not run: its parent resource ${parent} failed in this run`, { exitCode })
    this.parent = parent
  }
}
