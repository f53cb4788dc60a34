import type { SimClock } from './types.ts'

/**
 * The org clock: real time plus an offset, so polling clients see time pass naturally, while tests
 * can jump it (`advance`, `set`) or pin it (`freeze`) to produce same-millisecond timestamps.
 */
export class OrgClock implements SimClock {
  #offset: number
  #frozenAt: number | null = null

  constructor(start?: Date) {
    this.#offset = start ? start.getTime() - Date.now() : 0
  }

  nowMs(): number {
    return this.#frozenAt ?? Date.now() + this.#offset
  }

  now(): Date {
    return new Date(this.nowMs())
  }

  advance(ms: number): void {
    if (this.#frozenAt !== null) this.#frozenAt += ms
    else this.#offset += ms
  }

  set(date: Date): void {
    if (this.#frozenAt !== null) this.#frozenAt = date.getTime()
    else this.#offset = date.getTime() - Date.now()
  }

  freeze(at?: Date): void {
    this.#frozenAt = at ? at.getTime() : this.nowMs()
  }

  unfreeze(): void {
    if (this.#frozenAt === null) return
    this.#offset = this.#frozenAt - Date.now()
    this.#frozenAt = null
  }
}
