import type { ExtractBatch, ResourceDefinition } from '../resources/types.ts'

/**
 * The time the resource's cursor reached with this commit (its last resource-level cursor write),
 * when the resource's cursor is a point in time (`timePosition`); for the progress events.
 */
export function timePositionOf(def: ResourceDefinition, group: readonly ExtractBatch[]): string | undefined {
  if (def.timePosition === undefined) return undefined
  for (let i = group.length - 1; i >= 0; i--) {
    const write = group[i]!.state.findLast((s) => s.resource === def.name && s.parentId === '')
    if (write !== undefined && write.cursor !== null) return def.timePosition(write.cursor)
  }
  return undefined
}
