import { appGroups } from './app-groups.ts'
import { apps } from './apps.ts'
import { appsAssigned } from './apps-assigned.ts'
import { groupRoles } from './group-roles.ts'
import { groupRules } from './group-rules.ts'
import { groupUsers } from './group-users.ts'
import { groups } from './groups.ts'
import { systemLog } from './system-log.ts'
import { RESOURCE_NAMES, type ResourceDefinition, type ResourceName } from './types.ts'
import { userFactors } from './user-factors.ts'
import { userRoles } from './user-roles.ts'
import { userSchema } from './user-schema.ts'
import { userTypes } from './user-types.ts'
import { users } from './users.ts'

export { DEFAULT_EXTRACT_OPTIONS } from './options.ts'
export { DEFAULT_RESOURCES, RESOURCE_NAMES } from './types.ts'
export type { ExtractBatch, ExtractContext, ExtractOptions, ResourceDefinition, ResourceName } from './types.ts'

/** Every resource, by name. The pipeline walks this with no per-resource logic. */
export const RESOURCES: Readonly<Record<ResourceName, ResourceDefinition>> = Object.freeze({
  users,
  groups,
  group_users: groupUsers,
  apps,
  apps_assigned: appsAssigned,
  system_log: systemLog,
  app_groups: appGroups,
  user_roles: userRoles,
  group_roles: groupRoles,
  user_factors: userFactors,
  group_rules: groupRules,
  user_types: userTypes,
  user_schema: userSchema,
})

/** Every OAuth scope the selected resources need, in a stable order. */
export function scopesFor(selected: readonly ResourceName[]): string[] {
  return [...new Set(RESOURCE_NAMES.filter((n) => selected.includes(n)).flatMap((n) => RESOURCES[n].scopes))]
}

/** The selected resources `name` must wait for (its `runAfter`, restricted to the selection). */
export function waitsFor(name: ResourceName, selected: readonly ResourceName[]): ResourceName[] {
  return (RESOURCES[name].runAfter ?? []).filter((r) => selected.includes(r))
}

/**
 * The selection in stages: every resource comes in a later stage than those it runs after; the
 * resources of one stage are independent of each other and may run concurrently. Within a stage,
 * the order of `RESOURCE_NAMES`. e.g. all six → [[users, groups, apps, system_log], [group_users, apps_assigned]].
 */
export function resourceStages(selected: readonly ResourceName[]): ResourceName[][] {
  const wanted = RESOURCE_NAMES.filter((n) => selected.includes(n))
  const stageOf = new Map<ResourceName, number>()
  const visit = (name: ResourceName, path: ResourceName[]): number => {
    const known = stageOf.get(name)
    if (known !== undefined) return known
    if (path.includes(name)) throw new Error(`resource dependency cycle: ${[...path, name].join(' → ')}`)
    const stage = Math.max(-1, ...waitsFor(name, wanted).map((dep) => visit(dep, [...path, name]))) + 1
    stageOf.set(name, stage)
    return stage
  }
  const stages: ResourceName[][] = []
  for (const name of wanted) (stages[visit(name, [])] ??= []).push(name)
  return stages.filter((s) => s !== undefined)
}

/** The selection in one order that respects `runAfter` (stages flattened). */
export function orderResources(selected: readonly ResourceName[]): ResourceName[] {
  return resourceStages(selected).flat()
}
