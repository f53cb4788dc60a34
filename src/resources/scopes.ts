import { RESOURCE_NAMES, type ResourceName } from './types.ts'

/**
 * The OAuth scopes each resource reads with (an SSWS token has its admin's permissions instead,
 * but the same endpoint families), and the one cheap request that proves a scope is granted.
 * `okta-elt check` asks each family once; the run itself never consults this table.
 */
export const REQUIRED_SCOPES: Readonly<Record<ResourceName, readonly string[]>> = Object.freeze({
  users: ['okta.users.read'],
  groups: ['okta.groups.read'],
  group_users: ['okta.groups.read'],
  apps: ['okta.apps.read'],
  // Assignments are listed per app; the narrowing to changed apps reads the System Log.
  apps_assigned: ['okta.apps.read', 'okta.logs.read'],
  system_log: ['okta.logs.read'],
})

/** One page of one record: the cheapest request of each endpoint family. */
export const SCOPE_PROBES: Readonly<Record<string, string>> = Object.freeze({
  'okta.users.read': '/api/v1/users?limit=1',
  'okta.groups.read': '/api/v1/groups?limit=1',
  'okta.apps.read': '/api/v1/apps?limit=1',
  'okta.logs.read': '/api/v1/logs?limit=1',
})

/** The scopes a selection needs, each with the selected resources that need it, in a stable order. */
export function scopesFor(selected: readonly ResourceName[]): { scope: string; resources: ResourceName[] }[] {
  const out: { scope: string; resources: ResourceName[] }[] = []
  for (const resource of RESOURCE_NAMES) {
    if (!selected.includes(resource)) continue
    for (const scope of REQUIRED_SCOPES[resource]) {
      const entry = out.find((e) => e.scope === scope)
      if (entry) entry.resources.push(resource)
      else out.push({ scope, resources: [resource] })
    }
  }
  return out
}
