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
 * Timed effects kept as columns rather than objects: a first load's 90 days of membership and
 * assignment events are held for the whole run, and as objects (the effect, its key array, the
 * per-key lists indexing them) they took ~250 bytes each, ~30 MB of a 100,000-user full load's
 * peak. Here an effect is four array slots (~16 bytes) and its time a number (an ISO string per event
 * was another ~40 bytes: ~3 MB of a 1,000,000-user full load's peak); its ids are shared (one
 * string per id when the reader interns them). An effect comes back as a fresh object.
 */
export class EffectColumns {
  readonly #open: boolean[] = []
  readonly #first: string[] = []
  /** The key after its first part: undefined for a one-part key; parts joined by U+0000 beyond two. */
  readonly #rest: (string | undefined)[] = []
  /** `published` in ms since the epoch (a double array: 8 bytes each, no string). */
  readonly #at: number[] = []
  /** Parts of each key beyond two (rare): their count, by index. */
  readonly #wide = new Map<number, number>()

  get length(): number {
    return this.#at.length
  }

  push(e: TimedEffect): void {
    const i = this.#at.length
    this.#open.push(e.kind === 'open')
    this.#first.push(e.key[0]!)
    this.#rest.push(e.key.length < 2 ? undefined : e.key.length === 2 ? e.key[1]! : e.key.slice(1).join('\u0000'))
    if (e.key.length > 2) this.#wide.set(i, e.key.length)
    this.#at.push(Date.parse(e.at))
  }

  /** Appends effect `i` of `from`. */
  copy(from: EffectColumns, i: number): void {
    if (from.#wide.has(i)) this.#wide.set(this.#at.length, from.#wide.get(i)!)
    this.#open.push(from.#open[i]!)
    this.#first.push(from.#first[i]!)
    this.#rest.push(from.#rest[i])
    this.#at.push(from.#at[i]!)
  }

  get(i: number): TimedEffect {
    return { kind: this.#open[i] ? 'open' : 'close', key: this.key(i), at: this.at(i) }
  }

  key(i: number): string[] {
    const rest = this.#rest[i]
    if (rest === undefined) return [this.#first[i]!]
    return this.#wide.has(i) ? [this.#first[i]!, ...rest.split('\u0000')] : [this.#first[i]!, rest]
  }

  isOpen(i: number): boolean {
    return this.#open[i]!
  }

  first(i: number): string {
    return this.#first[i]!
  }

  /** The key after its first part, as compared (undefined: a one-part key). */
  rest(i: number): string | undefined {
    return this.#rest[i]
  }

  /** The effect's time, as the ISO string it was pushed with (the reader normalizes it so). */
  at(i: number): string {
    return new Date(this.#at[i]!).toISOString()
  }

  /** The effect's time in ms. */
  atMs(i: number): number {
    return this.#at[i]!
  }
}

/**
 * The events of one history window (System Log events between the last succeeded load and this
 * one), indexed by key. Pure: what the commit needs of them (the events timing the keys a batch
 * touches) and the intervals they show began and ended inside the window. Held compactly (see
 * EffectColumns): the effects in time order, and their positions sorted by key (first part, then
 * the rest, one-part keys first, then time), searched by bisection instead of per-key lists.
 */
export class HistoryTimeline {
  readonly #effects = new EffectColumns()
  /** Positions in #effects sorted by (first part, rest, time). */
  readonly #byKey: Int32Array
  /** Where the window starts: a first load's claims about what came before stop here. */
  readonly horizon: string
  /** No load succeeded before: the window is all the log still holds. */
  readonly first: boolean

  constructor(effects: readonly TimedEffect[] | EffectColumns, window: { horizon: string; first: boolean }) {
    this.horizon = window.horizon
    this.first = window.first
    const source = effects instanceof EffectColumns ? effects : columnsOf(effects)
    const times = Float64Array.from({ length: source.length }, (_, i) => source.atMs(i))
    // Stable: events at the same instant keep the log's order.
    const order = Int32Array.from({ length: source.length }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b)
    for (const i of order) this.#effects.copy(source, i)
    const e = this.#effects
    this.#byKey = Int32Array.from({ length: e.length }, (_, i) => i).sort((a, b) => compareKey(e.first(a), e.rest(a), e.first(b), e.rest(b)) || a - b)
  }

  /**
   * The events a commit needs: those of the keys it writes or deletes, of every key under a parent
   * it replaces (`parents`: first key parts), and one-part events of those first parts; all of
   * them when it reconciles the whole table.
   */
  eventsFor(scope: { keys: readonly (readonly string[])[]; parents: readonly string[]; all: boolean }): TimedEffect[] {
    const e = this.#effects
    if (e.length === 0) return []
    if (scope.all) return Array.from({ length: e.length }, (_, i) => e.get(i))
    const out = new Set<number>()
    const firsts = new Set(scope.parents)
    for (const p of scope.parents) for (const i of this.#underFirst(p)) out.add(i)
    for (const key of scope.keys) {
      if (key.length > 1) for (const i of this.#ofKey(key[0]!, key.length === 2 ? key[1]! : key.slice(1).join('\u0000'))) out.add(i)
      if (!firsts.has(key[0]!)) {
        firsts.add(key[0]!)
        for (const i of this.#underFirst(key[0]!)) if (e.rest(i) === undefined || key.length === 1) out.add(i)
      }
    }
    return [...out].map((i) => e.get(i))
  }

  /**
   * Intervals the window's events show opened and closed again (added, then removed). On a first
   * load a removal with nothing before it in the log began before the log reaches: it opens at the
   * horizon (`log_horizon`). Only keys the events name in full: a one-part event (a role granted
   * to a user) says which row changed no better than "one of this user's".
   */
  pastIntervals(): PastInterval[] {
    const e = this.#effects
    // Runs of one (multi-part) key in #byKey, each in time order; taken in the order the keys first occur.
    const runs: [number, number][] = []
    for (let lo = 0; lo < this.#byKey.length; ) {
      let hi = lo + 1
      const a = this.#byKey[lo]!
      while (hi < this.#byKey.length && compareKey(e.first(a), e.rest(a), e.first(this.#byKey[hi]!), e.rest(this.#byKey[hi]!)) === 0) hi++
      if (e.rest(a) !== undefined) runs.push([lo, hi])
      lo = hi
    }
    runs.sort((x, y) => this.#byKey[x[0]]! - this.#byKey[y[0]]!)
    const out: PastInterval[] = []
    for (const [lo, hi] of runs) {
      let openedAt: string | undefined
      let seen = false
      for (let j = lo; j < hi; j++) {
        const i = this.#byKey[j]!
        if (e.isOpen(i)) {
          openedAt ??= e.at(i)
        } else if (openedAt !== undefined) {
          out.push({ key: e.key(i), from: openedAt, to: e.at(i), source: 'system_log' })
          openedAt = undefined
        } else if (this.first && !seen && e.atMs(i) > Date.parse(this.horizon)) {
          out.push({ key: e.key(i), from: this.horizon, to: e.at(i), source: 'log_horizon' })
        }
        seen = true
      }
    }
    return out
  }

  /** Positions of every effect whose key starts with `first`, in time order. */
  #underFirst(first: string): number[] {
    const e = this.#effects
    const lo = this.#lowerBound((i) => compareStrings(e.first(i), first) >= 0)
    const hi = this.#lowerBound((i) => compareStrings(e.first(i), first) > 0)
    return Array.from(this.#byKey.subarray(lo, hi)).sort((a, b) => a - b)
  }

  /** Positions of the effects of the multi-part key (`first`, `rest`), in time order. */
  #ofKey(first: string, rest: string): Int32Array {
    const e = this.#effects
    const lo = this.#lowerBound((i) => compareKey(e.first(i), e.rest(i), first, rest) >= 0)
    const hi = this.#lowerBound((i) => compareKey(e.first(i), e.rest(i), first, rest) > 0)
    return this.#byKey.subarray(lo, hi)
  }

  /** The first position in #byKey whose effect satisfies `atOrAfter` (monotone along #byKey). */
  #lowerBound(atOrAfter: (i: number) => boolean): number {
    let lo = 0
    let hi = this.#byKey.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (atOrAfter(this.#byKey[mid]!)) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

function columnsOf(effects: readonly TimedEffect[]): EffectColumns {
  const columns = new EffectColumns()
  for (const e of effects) columns.push(e)
  return columns
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Keys by first part, then the rest, a one-part key (rest undefined) before every longer one. */
function compareKey(aFirst: string, aRest: string | undefined, bFirst: string, bRest: string | undefined): number {
  return compareStrings(aFirst, bFirst) || (aRest === bRest ? 0 : aRest === undefined ? -1 : bRest === undefined ? 1 : compareStrings(aRest, bRest))
}
