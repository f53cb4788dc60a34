/** One line of `okta-elt check`: what was checked, whether it passed, and why (one line, no secrets). */
export interface CheckResult {
  /** `config`, `org`, `credentials`, `scope okta.users.read`, `destination`. */
  name: string
  /** `skipped`: not tried because an earlier check it depends on failed. */
  status: 'ok' | 'fail' | 'skipped'
  detail: string
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail })
export const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail })
export const skipped = (name: string, detail: string): CheckResult => ({ name, status: 'skipped', detail })
