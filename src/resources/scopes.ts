import { RESOURCES } from './index.ts'
import { RESOURCE_NAMES, type ResourceName } from './types.ts'

/**
 * The one cheap request that proves each OAuth scope is granted (an SSWS token has its admin's
 * permissions instead, but the same endpoint families). `okta-elt check` asks each family once;
 * which resource needs which scope is each resource's own declaration (`ResourceDefinition.scopes`).
 */
export const SCOPE_PROBES: Readonly<Record<string, string>> = Object.freeze({
  'okta.users.read': '/api/v1/users?limit=1',
  'okta.groups.read': '/api/v1/groups?limit=1',
  'okta.apps.read': '/api/v1/apps?limit=1',
  'okta.logs.read': '/api/v1/logs?limit=1',
  'okta.roles.read': '/api/v1/iam/assignees/users?limit=1',
  'okta.userTypes.read': '/api/v1/meta/types/user',
  'okta.schemas.read': '/api/v1/meta/schemas/user/default',
})

/** The scopes a selection needs, each with the selected resources that need it, in a stable order. */
export function scopeUsage(selected: readonly ResourceName[]): { scope: string; resources: ResourceName[] }[] {
  const out: { scope: string; resources: ResourceName[] }[] = []
  for (const resource of RESOURCE_NAMES) {
    if (!selected.includes(resource)) continue
    for (const scope of RESOURCES[resource].scopes) {
      const entry = out.find((e) => e.scope === scope)
      if (entry) entry.resources.push(resource)
      else out.push({ scope, resources: [resource] })
    }
  }
  return out
}
