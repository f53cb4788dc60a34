/** A sweep as the committer and the history writer read it (see `CommitBatch.sweeps`). */
interface Sweep {
  where?: { column: string; value: string }
}

/** Sweeps of one group over one scope column: `values` its parents, or every row when `column` is undefined. */
export interface SweepScope<G> {
  group: G
  column: string | undefined
  values: string[]
}

/**
 * Sweeps grouped by `groupOf` (null: left out), then per scope column with the values of all its
 * sweeps: a batch of group members finishes dozens of groups, each a per-parent sweep of the same
 * table, and one statement over all of them marks what one per parent would (a sweep spares this
 * load's rows and keeps rows already marked, so neither order nor grouping changes the outcome).
 * A whole-table sweep covers every scope of its group. In order of first appearance.
 */
export function sweepScopes<S extends Sweep, G>(sweeps: readonly S[], groupOf: (sweep: S) => G | null): SweepScope<G>[] {
  const groups = new Map<G, { whole: boolean; columns: Map<string, Set<string>> }>()
  for (const s of sweeps) {
    const group = groupOf(s)
    if (group === null) continue
    const g = groups.get(group) ?? { whole: false, columns: new Map<string, Set<string>>() }
    groups.set(group, g)
    if (s.where === undefined) g.whole = true
    else g.columns.set(s.where.column, (g.columns.get(s.where.column) ?? new Set<string>()).add(s.where.value))
  }
  const out: SweepScope<G>[] = []
  for (const [group, g] of groups) {
    if (g.whole) out.push({ group, column: undefined, values: [] })
    else for (const [column, values] of g.columns) out.push({ group, column, values: [...values] })
  }
  return out
}
