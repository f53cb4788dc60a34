import type { HistoryEffect, HistoryEvents } from '../types.ts'
import { succeeded, targetIds } from './log-events.ts'

/**
 * History events of a two-part key whose parts are two targets of the event (a membership: the
 * group and the user), declared as data: which event types open the row and which close it.
 * Failed events changed nothing; an event missing a target names no row (the catalog's
 * `ResourceDetails`-only variant of `group.application_assignment.*`, AMBIGUOUS in okta-api.md §8).
 */
export function targetPairEvents(spec: { opens: string[]; closes: string[]; first: string; second?: string }): HistoryEvents {
  const types = [...spec.opens, ...spec.closes]
  return {
    filter: types.map((t) => `eventType eq "${t}"`).join(' or '),
    effects(event) {
      const type = event['eventType']
      if (typeof type !== 'string' || !succeeded(event)) return []
      const kind: HistoryEffect['kind'] | undefined = spec.opens.includes(type) ? 'open' : spec.closes.includes(type) ? 'close' : undefined
      if (kind === undefined) return []
      const effects: HistoryEffect[] = []
      for (const a of targetIds(event, spec.first)) {
        if (spec.second === undefined) effects.push({ kind, key: [a] })
        else for (const b of targetIds(event, spec.second)) effects.push({ kind, key: [a, b] })
      }
      return effects
    },
  }
}
