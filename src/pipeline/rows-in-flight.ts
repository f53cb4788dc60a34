/**
 * The rows a run holds between extraction and commit, across all its resources: every resource
 * queues pages while the destination commits (mergeWhileBusy), and thirteen resources each holding
 * up to twice `load.maxBatchRows` was most of a large full load's memory, and its peak depended on
 * how the commits happened to interleave (issue 14). A resource takes rows from the budget as it
 * queues a page and gives them back once their commit is done.
 *
 * A resource holding nothing may always take one page, however full the budget: every resource
 * keeps moving, and the budget is exceeded by at most one page per resource.
 */
export class RowsInFlight {
  readonly limit: number
  #held = 0
  #waiting: (() => void)[] = []

  constructor(limit: number) {
    this.limit = limit
  }

  get held(): number {
    return this.#held
  }

  /** True when a resource already holding `own` rows must wait before taking more. */
  mustWait(own: number): boolean {
    return own > 0 && this.#held >= this.limit
  }

  take(rows: number): void {
    this.#held += rows
  }

  give(rows: number): void {
    this.#held -= rows
    const waiting = this.#waiting
    this.#waiting = []
    for (const wake of waiting) wake()
  }

  /** Resolves at the next `give` (then check `mustWait` again). */
  released(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve))
  }
}
