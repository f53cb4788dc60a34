/**
 * Cursor state: written by the destination in the same transaction as the rows it covers, read
 * back by the extractors at the start of a run. Plain JSON values: neither HTTP nor SQL.
 */
export interface StateWrite {
  resource: string
  /** '' for resource-level state; the parent id for per-parent cursors (e.g. a group id). */
  parentId: string
  /** JSON-serializable cursor value; `null` deletes the state row. */
  cursor: unknown
}

export interface StateRow {
  resource: string
  parentId: string
  cursor: unknown
  loadId: string
  updatedAt: Date
}
