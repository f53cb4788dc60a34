import type { HistoryEffect } from '../resources/types.ts'
import type { ValidSource } from '../schema/history-twin.ts'

/** One System Log event's effect on one key, at the event's `published` time (ISO). */
export interface TimedEffect extends HistoryEffect {
  at: string
}

/** An interval the log shows began and ended, for a key of a history table. */
export interface PastInterval {
  key: string[]
  from: string
  to: string
  source: Extract<ValidSource, 'system_log' | 'log_horizon'>
}

/**
 * The events of one history window (System Log events between the last succeeded load and this
 * one), indexed by key. Pure: what the commit needs of them (the events timing the keys a batch
 * touches) and the intervals they show began and ended inside the window.
 */
export class HistoryTimeline {
  readonly #byKey = new Map<string, TimedEffect[]>()
  readonly #byFirst = new Map<string, TimedEffect[]>()
  readonly #all: TimedEffect[]
  /** Where the window starts: a first load's claims about what came before stop here. */
  readonly horizon: string
  /** No load succeeded before: the window is all the log still holds. */
  readonly first: boolean

  constructor(effects: readonly TimedEffect[], window: { horizon: string; first: boolean }) {
    this.#all = [...effects].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    this.horizon = window.horizon
    this.first = window.first
    for (const e of this.#all) {
      push(this.#byFirst, e.key[0]!, e)
      if (e.key.length > 1) push(this.#byKey, keyId(e.key), e)
    }
  }

  /**
   * The events a commit needs: those of the keys it writes or deletes, of every key under a parent
   * it replaces (`parents`: first key parts), and one-part events of those first parts; all of
   * them when it reconciles the whole table.
   */
  eventsFor(scope: { keys: readonly (readonly string[])[]; parents: readonly string[]; all: boolean }): TimedEffect[] {
    if (this.#all.length === 0) return []
    if (scope.all) return this.#all
    const out = new Set<TimedEffect>()
    const firsts = new Set(scope.parents)
    for (const p of scope.parents) for (const e of this.#byFirst.get(p) ?? []) out.add(e)
    for (const key of scope.keys) {
      if (key.length > 1) for (const e of this.#byKey.get(keyId(key)) ?? []) out.add(e)
      if (!firsts.has(key[0]!)) {
        firsts.add(key[0]!)
        for (const e of this.#byFirst.get(key[0]!) ?? []) if (e.key.length === 1 || key.length === 1) out.add(e)
      }
    }
    return [...out]
  }

  /**
   * Intervals the window's events show opened and closed again (added, then removed). On a first
   * load a removal with nothing before it in the log began before the log reaches: it opens at the
   * horizon (`log_horizon`). Only keys the events name in full: a one-part event (a role granted
   * to a user) says which row changed no better than "one of this user's".
   */
  pastIntervals(): PastInterval[] {
    const out: PastInterval[] = []
    for (const events of this.#byKey.values()) {
      let openedAt: string | undefined
      let seen = false
      for (const e of events) {
        if (e.kind === 'open') {
          openedAt ??= e.at
        } else if (openedAt !== undefined) {
          out.push({ key: e.key, from: openedAt, to: e.at, source: 'system_log' })
          openedAt = undefined
        } else if (this.first && !seen && Date.parse(e.at) > Date.parse(this.horizon)) {
          out.push({ key: e.key, from: this.horizon, to: e.at, source: 'log_horizon' })
        }
        seen = true
      }
    }
    return out
  }
}

function keyId(key: readonly string[]): string {
  return key.join('\u0000')
}

function push(map: Map<string, TimedEffect[]>, id: string, e: TimedEffect): void {
  const list = map.get(id)
  if (list === undefined) map.set(id, [e])
  else list.push(e)
}
