import type { ResourceName } from '../resources/types.ts'
import { formatDuration } from './output/format.ts'

/** What `status --max-age` judges: each selected resource's last successful load, if any. */
export interface FreshnessInput {
  resource: string
  lastSuccess: { finishedAt: string | null } | null
}

export interface StaleResource {
  resource: string
  /** ISO time of the last successful load, or null when there never was one. */
  lastSuccessAt: string | null
  /** How old that load is, ms (null: never). */
  ageMs: number | null
}

/**
 * The selected resources whose last successful load finished longer than `maxAgeMs` before
 * `now`, or never: what a freshness alert fires on. Unselected resources are not judged.
 */
export function staleResources(resources: readonly FreshnessInput[], selected: readonly ResourceName[], maxAgeMs: number, now: number): StaleResource[] {
  const stale: StaleResource[] = []
  for (const name of selected) {
    const r = resources.find((x) => x.resource === name)
    const at = r?.lastSuccess?.finishedAt ?? null
    const time = at === null ? Number.NaN : Date.parse(at)
    if (Number.isNaN(time)) {
      stale.push({ resource: name, lastSuccessAt: null, ageMs: null })
      continue
    }
    const ageMs = now - time
    if (ageMs > maxAgeMs) stale.push({ resource: name, lastSuccessAt: at, ageMs })
  }
  return stale
}

/** One line per stale resource: `users: last successful load 2026-11-30T01:00:00.000Z, 30h05m ago (max age 26h00m)`. */
export function staleLine(s: StaleResource, maxAgeMs: number): string {
  if (s.lastSuccessAt === null || s.ageMs === null) return `${s.resource}: stale: no successful load yet`
  return `${s.resource}: stale: last successful load ${s.lastSuccessAt}, ${formatDuration(s.ageMs)} ago (max age ${formatDuration(maxAgeMs)})`
}
