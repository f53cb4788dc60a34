import { parseTime } from './cursor.ts'

/**
 * Most entries a seen-set keeps in a cursor. Past it the oldest entries are dropped, which only
 * means those records are loaded once more: correctness never depends on the set being complete.
 */
export const SEEN_CAP = 10_000

/**
 * A record's version: its change timestamps joined by `,` (users: `lastUpdated`; groups:
 * `lastUpdated,lastMembershipUpdated`; System Log events: `published`). Okta stamps every change,
 * so an equal version means the very object already loaded. Undefined when the record has no
 * usable timestamp (then it is always loaded).
 */
export function versionOf(timestamps: readonly unknown[]): string | undefined {
  // Hot path (every record of a full load): no parsing here; `SeenSet.add` parses once and
  // ignores a version without a valid time.
  let version = ''
  let any = false
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]
    const part = typeof t === 'string' ? t : ''
    any ||= part !== ''
    version = i === 0 ? part : `${version},${part}`
  }
  return any ? version : undefined
}

/** The latest timestamp in a version (ms), undefined for garbage. */
export function versionTime(version: string): number | undefined {
  let max: number | undefined
  for (const part of version.split(',')) {
    const t = parseTime(part)
    if (t !== undefined && (max === undefined || t > max)) max = t
  }
  return max
}

/** Reads an `id → string` map from a cursor field; anything malformed is left out. */
export function readStringMap(cursor: unknown, key: string): Map<string, string> {
  const map = new Map<string, string>()
  if (cursor === null || typeof cursor !== 'object') return map
  const value = (cursor as Record<string, unknown>)[key]
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return map
  for (const [id, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string') map.set(id, v)
  return map
}

/**
 * The records already loaded inside an overlap window (the span an incremental query reads again
 * on purpose: Okta's search index and System Log are eventually consistent), as `id → version`.
 * A record met again with the same version is skipped; any other is loaded.
 *
 * Bounded: `prune(fromMs)` drops what the next query will not return anyway, and past `cap`
 * entries the oldest go (they are just loaded once more). Times are parsed once, on entry.
 */
export class SeenSet {
  readonly #cap: number
  readonly #entries = new Map<string, { version: string; at: number }>()

  constructor(saved: ReadonlyMap<string, string> = new Map(), cap = SEEN_CAP) {
    this.#cap = Math.max(0, Math.floor(cap))
    for (const [id, version] of saved) this.add(id, version)
  }

  get size(): number {
    return this.#entries.size
  }

  /** True when `id` was loaded at exactly this version. */
  has(id: string, version: string): boolean {
    return this.#entries.get(id)?.version === version
  }

  /** Records `id` as loaded at `version` (replacing an older version). Unparseable versions are not kept. */
  add(id: string, version: string): void {
    const at = versionTime(version)
    if (at === undefined) return
    this.#entries.delete(id)
    this.#entries.set(id, { version, at })
    // Amortized: trim only once the set doubled past its cap.
    if (this.#entries.size > 2 * this.#cap) this.#trim()
  }

  /** Drops the entries older than `fromMs` (outside the next window), then trims to the cap. */
  prune(fromMs: number): void {
    for (const [id, e] of this.#entries) if (e.at < fromMs) this.#entries.delete(id)
    this.#trim()
  }

  /** The set as a cursor value. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [id, e] of this.#entries) out[id] = e.version
    return out
  }

  #trim(): void {
    const excess = this.#entries.size - this.#cap
    if (excess <= 0) return
    const oldest = [...this.#entries].sort((a, b) => a[1].at - b[1].at).slice(0, excess)
    for (const [id] of oldest) this.#entries.delete(id)
  }
}
