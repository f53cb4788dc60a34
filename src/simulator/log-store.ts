/**
 * The System Log: lazily generated base events plus the events emitted at runtime. Every event
 * has a persistence sequence number (base events first, then emitted ones in emission order);
 * polling reads in that order, bounded queries in `published` order.
 */
import { basePublished, baseEventType, envelope, eventUuid, generateEvent, type LogRefs } from './log-generator.ts'
import type { GenContext } from './org-generator.ts'

interface Emitted {
  seq: number
  persistedAt: number
  published: number
  event: Record<string, unknown>
}

/** A record seen through a lazy accessor (only what a filter asks for is generated). */
export type EventPredicate = (get: (attr: string) => unknown) => boolean

export interface PollPage {
  items: Record<string, unknown>[]
  /** Where the next poll continues: after the last event examined. */
  nextSeq: number
}

export interface BoundedQuery {
  since: number
  /** Exclusive. */
  until: number
  descending: boolean
  /** Resume after this (published, seq). */
  after: [number, number] | null
  limit: number
  floor: number
  predicate: EventPredicate | null
}

export interface BoundedPage {
  items: Record<string, unknown>[]
  /** (published, seq) of the last item when more matching events follow. */
  next: [number, number] | null
}

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined) return undefined
    if (Array.isArray(cur)) cur = cur.flatMap((v) => (v !== null && typeof v === 'object' ? [(v as Record<string, unknown>)[key]] : []))
    else if (typeof cur === 'object') cur = (cur as Record<string, unknown>)[key]
    else return undefined
  }
  return cur
}

export class LogStore {
  readonly #ctx: GenContext
  readonly #refs: LogRefs
  readonly #base: number
  readonly #emitted: Emitted[] = []
  /** Emitted events sorted by (published, seq), for bounded queries. */
  readonly #byPublished: Emitted[] = []

  constructor(ctx: GenContext, refs: LogRefs) {
    this.#ctx = ctx
    this.#refs = refs
    this.#base = ctx.size.logEvents
  }

  count(): number {
    return this.#base + this.#emitted.length
  }

  /**
   * Appends an event persisted at `persistedAt`; `published` earlier than that makes a late event.
   * Fields of `partial` override the generated envelope.
   */
  emit(partial: Partial<Record<string, unknown>> & { eventType: string }, persistedAt: number, published: number, actor: Record<string, unknown>): string {
    const seq = this.count()
    const event: Record<string, unknown> = {
      ...envelope(this.#ctx.seed, seq, published),
      actor,
      displayMessage: partial.eventType,
      legacyEventType: null,
      outcome: { result: 'SUCCESS', reason: null },
      target: [],
      ...partial,
    }
    event.uuid = typeof partial.uuid === 'string' ? partial.uuid : eventUuid(this.#ctx.seed, seq)
    event.published = new Date(published).toISOString()
    const entry: Emitted = { seq, persistedAt, published, event }
    this.#emitted.push(entry)
    let lo = 0
    let hi = this.#byPublished.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#byPublished[mid] as Emitted).published <= published) lo = mid + 1
      else hi = mid
    }
    this.#byPublished.splice(lo, 0, entry)
    return event.uuid as string
  }

  #published(seq: number): number {
    return seq < this.#base ? basePublished(this.#ctx, seq) : (this.#emitted[seq - this.#base] as Emitted).published
  }

  #persistedAt(seq: number): number {
    return seq < this.#base ? basePublished(this.#ctx, seq) : (this.#emitted[seq - this.#base] as Emitted).persistedAt
  }

  #event(seq: number): Record<string, unknown> {
    return seq < this.#base ? generateEvent(this.#ctx, this.#refs, seq) : (this.#emitted[seq - this.#base] as Emitted).event
  }

  #matches(seq: number, predicate: EventPredicate | null): boolean {
    if (!predicate) return true
    let full: Record<string, unknown> | undefined
    return predicate((attr) => {
      if (attr === 'eventType' && seq < this.#base) return baseEventType(this.#ctx, seq)
      full ??= this.#event(seq)
      return attr === '$' ? full : readPath(full, attr)
    })
  }

  /** First sequence number persisted at or after `ms`. */
  seqPersistedSince(ms: number): number {
    let lo = 0
    let hi = this.#base
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (basePublished(this.#ctx, mid) < ms) lo = mid + 1
      else hi = mid
    }
    if (lo < this.#base) return lo
    const k = this.#emitted.findIndex((e) => e.persistedAt >= ms)
    return k === -1 ? this.count() : this.#base + k
  }

  /** Polling: events in persistence order from `seq`, persisted no later than `now`. */
  poll(seq: number, limit: number, now: number, floor: number, predicate: EventPredicate | null): PollPage {
    const items: Record<string, unknown>[] = []
    const total = this.count()
    let s = Math.max(0, seq)
    // Base events are persisted in published order: skip those past retention with one search.
    if (s < this.#base && basePublished(this.#ctx, s) < floor) s = Math.max(s, this.seqPersistedSince(floor))
    while (items.length < limit && s < total) {
      if (this.#persistedAt(s) > now) break
      if (this.#published(s) >= floor && this.#matches(s, predicate)) items.push(this.#event(s))
      s++
    }
    return { items, nextSeq: s }
  }

  /** Bounded: events with published in [since, until) in published order (ties by seq). */
  bounded(q: BoundedQuery): BoundedPage {
    const items: Record<string, unknown>[] = []
    let last: [number, number] | null = null
    const lower = Math.max(q.since, q.floor)
    for (const [published, seq] of this.#inPublishedOrder(lower, q.until, q.descending, q.after)) {
      if (!this.#matches(seq, q.predicate)) continue
      if (items.length === q.limit) return { items, next: last ?? q.after }
      items.push(this.#event(seq))
      last = [published, seq]
    }
    return { items, next: null }
  }

  /** Index of the first entry whose published is >= ms (or > ms when `strict`). */
  #search(n: number, publishedAt: (i: number) => number, ms: number, strict: boolean): number {
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const p = publishedAt(mid)
      if (p < ms || (strict && p === ms)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  *#inPublishedOrder(lower: number, until: number, desc: boolean, after: [number, number] | null): Generator<[number, number]> {
    const base = this.#base
    const ctx = this.#ctx
    const em = this.#byPublished
    const basePub = (i: number): number => basePublished(ctx, i)
    const emPub = (i: number): number => (em[i] as Emitted).published
    const before = (p1: number, s1: number, p2: number, s2: number): boolean => p1 < p2 || (p1 === p2 && s1 < s2)
    // Start at the cursor with a binary search; only same-millisecond ties are skipped one by one.
    let b: number
    let e: number
    if (desc) {
      const top = after ? Math.min(after[0], until - 1) : until - 1
      b = this.#search(base, basePub, top, true) - 1
      e = this.#search(em.length, emPub, top, true) - 1
    } else {
      const bottom = after ? Math.max(after[0], lower) : lower
      b = this.#search(base, basePub, bottom, false)
      e = this.#search(em.length, emPub, bottom, false)
    }
    const inRange = (p: number): boolean => p >= lower && p < until
    const afterCursor = (p: number, s: number): boolean =>
      after === null || (desc ? before(p, s, after[0], after[1]) : before(after[0], after[1], p, s))
    for (;;) {
      const bp = b >= 0 && b < base ? basePub(b) : NaN
      const entry = e >= 0 && e < em.length ? (em[e] as Emitted) : undefined
      const bOk = !Number.isNaN(bp) && inRange(bp)
      const eOk = entry !== undefined && inRange(entry.published)
      if (!bOk && !eOk) return
      let takeBase: boolean
      if (!eOk) takeBase = true
      else if (!bOk) takeBase = false
      else takeBase = desc ? !before(bp, b, entry.published, entry.seq) : before(bp, b, entry.published, entry.seq)
      if (takeBase) {
        if (afterCursor(bp, b)) yield [bp, b]
        b += desc ? -1 : 1
      } else {
        const en = entry as Emitted
        if (afterCursor(en.published, en.seq)) yield [en.published, en.seq]
        e += desc ? -1 : 1
      }
    }
  }
}
