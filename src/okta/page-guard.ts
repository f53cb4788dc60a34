/**
 * The checks every listing passes, whatever carries its `next` link (a `Link` header today, a
 * body's `_links.next` for envelope endpoints): a listing must end because the data says so, not
 * because the server eventually stops. One guard per listing (one `pages()` iteration).
 *
 * - A `next` URL this listing already requested is a loop (same URL, or pages pointing at each other).
 * - A page whose records all came earlier in this listing, at the same version (a fresh cursor
 *   serving the same records), is a loop.
 * - `EMPTY_PAGE_LIMIT` empty pages in a row, each with a `next`, is a loop.
 * - Records that repeat an earlier one exactly (same id, same version) are dropped from the page,
 *   so a listing yields each record once and a load counts distinct rows.
 * - Items that are not JSON objects (`null`, numbers, strings, arrays) are skipped and counted.
 *
 * "Seen" is remembered for the last `IDENTITY_WINDOW` records (bounded memory on a 90-day System
 * Log listing); a loop repeats what it just served, well inside that window: 20 pages of System Log
 * events, 100 of users. About 90 bytes a record, so ~2 MB per long listing, and a full load has
 * several at once (users, the System Log, the history tables' log query): 100,000 held ~25 MB of
 * a full load's peak.
 */

export const EMPTY_PAGE_LIMIT = 10
export const IDENTITY_WINDOW = 20_000

export interface GuardedPage<T> {
  items: T[]
  /** Items that were not JSON objects (e.g. `null`), skipped. */
  skipped: number
  /** Records dropped as exact repeats of earlier ones in this listing. */
  repeats: number
}

export class PageGuard {
  readonly #requested = new Set<string>()
  readonly #seen = new Set<string>()
  /** The remembered keys in arrival order, grown up to the window, then overwritten oldest first. */
  readonly #ring: string[] = []
  readonly #window: number
  #ringAt = 0
  #emptyRun = 0
  readonly #emptyLimit: number

  constructor(opts: { emptyPageLimit?: number; identityWindow?: number } = {}) {
    this.#emptyLimit = opts.emptyPageLimit ?? EMPTY_PAGE_LIMIT
    this.#window = Math.max(1, opts.identityWindow ?? IDENTITY_WINDOW)
  }

  /** Before requesting `url`: the loop it closes, or null. */
  visit(url: string): string | null {
    if (this.#requested.has(url)) return `the next link repeats a page this listing already requested (${this.#requested.size} pages in)`
    this.#requested.add(url)
    return null
  }

  /** A page arrived: its clean items, or the loop it shows (`{ loop }`). */
  accept<T>(raw: readonly unknown[], hasNext: boolean): GuardedPage<T> | { loop: string } {
    const items: T[] = []
    let skipped = 0
    let repeats = 0
    const fresh = new Set<string>()
    for (const item of raw) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        skipped++
        continue
      }
      const key = identity(item as Record<string, unknown>)
      if (key !== null) {
        if (this.#seen.has(key) || fresh.has(key)) {
          repeats++
          continue
        }
        fresh.add(key)
      }
      items.push(item as T)
    }
    if (repeats > 0 && items.length === 0) {
      return { loop: `a page holds only records this listing already returned (${repeats})` }
    }
    if (items.length === 0 && hasNext) {
      if (++this.#emptyRun >= this.#emptyLimit) return { loop: `${this.#emptyRun} empty pages in a row, each with a next link` }
    } else {
      this.#emptyRun = 0
    }
    for (const key of fresh) this.#remember(key)
    return { items, skipped, repeats }
  }

  #remember(key: string): void {
    this.#seen.add(key)
    if (this.#ring.length < this.#window) {
      this.#ring.push(key)
      return
    }
    this.#seen.delete(this.#ring[this.#ringAt]!)
    this.#ring[this.#ringAt] = key
    this.#ringAt = (this.#ringAt + 1) % this.#window
  }
}

/**
 * A record's identity and version: `id` (or a System Log event's `uuid`) with the change stamps
 * Okta puts on it. Two records with the same key are the same object at the same version; the
 * same id at another version (changed mid-listing) is a new record, never dropped.
 */
function identity(record: Record<string, unknown>): string | null {
  const id = record['id'] ?? record['uuid']
  if (typeof id !== 'string' || id.length === 0) return null
  // One flat string: a template literal builds a tree of concatenations that keeps every part (and
  // the record's own strings) alive, ~2.5× the size, ×IDENTITY_WINDOW for each long listing (tens
  // of MB of a full load's peak). `join` writes the key in one piece.
  return [id, stamp(record['lastUpdated']), stamp(record['lastMembershipUpdated']), stamp(record['published'])].join('\u0000')
}

function stamp(v: unknown): string {
  return typeof v === 'string' ? v : ''
}
