/** Scripted failures: each rule skips `after` matching requests, then affects the next `times`. */
import type { FaultControl, FaultKind, FaultRule } from './types.ts'

interface ActiveRule {
  rule: FaultRule
  seen: number
  fired: number
}

export class FaultInjector implements FaultControl {
  #rules: ActiveRule[] = []

  inject(rule: FaultRule): void {
    this.#rules.push({ rule, seen: 0, fired: 0 })
  }

  clear(): void {
    this.#rules = []
  }

  /** The fault for this request, if a rule fires (rules are tried in injection order). */
  match(path: string): FaultRule | undefined {
    for (const active of this.#rules) {
      const { rule } = active
      const matches = rule.path === undefined
        ? path.startsWith('/api/')
        : typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path)
      if (!matches) continue
      const times = rule.times ?? 1
      if (active.fired >= times) continue
      active.seen++
      if (active.seen <= (rule.after ?? 0)) continue
      active.fired++
      return rule
    }
    return undefined
  }
}

export type { FaultKind }
