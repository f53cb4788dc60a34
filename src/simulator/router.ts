/** Maps a request path to its rate-limit bucket, required scope and handler. */
import { getUserSchema, listFactors, listGroupRoles, listGroupRules, listRoleAssignees, listUserRoles, listUserTypes } from './access-routes.ts'
import type { ApiResponse } from './api-response.ts'
import { getApp, listAppGroups, listApps, listAppUsers } from './apps-route.ts'
import { getGroup, listGroups, listGroupUsers } from './groups-route.ts'
import { listLogs } from './logs-route.ts'
import type { RouteContext } from './route-context.ts'
import type { BucketName } from './types.ts'
import { getUser, listUsers } from './users-route.ts'

export interface Route {
  bucket: BucketName
  scope: string
  handle(ctx: RouteContext): ApiResponse
}

const SEGMENT = '([^/]+)'

const TABLE: ReadonlyArray<{ pattern: RegExp; bucket: BucketName; scope: string; handle: (ctx: RouteContext, id: string) => ApiResponse }> = [
  { pattern: /^\/api\/v1\/users\/?$/, bucket: 'users', scope: 'okta.users.read', handle: (ctx) => listUsers(ctx) },
  { pattern: new RegExp(`^/api/v1/users/${SEGMENT}$`), bucket: 'user', scope: 'okta.users.read', handle: getUser },
  { pattern: new RegExp(`^/api/v1/users/${SEGMENT}/roles$`), bucket: 'user', scope: 'okta.roles.read', handle: listUserRoles },
  { pattern: new RegExp(`^/api/v1/users/${SEGMENT}/factors$`), bucket: 'user', scope: 'okta.users.read', handle: listFactors },
  { pattern: /^\/api\/v1\/groups\/?$/, bucket: 'groups', scope: 'okta.groups.read', handle: (ctx) => listGroups(ctx) },
  // Before `/groups/{id}`: `rules` is not a group id.
  { pattern: /^\/api\/v1\/groups\/rules\/?$/, bucket: 'group', scope: 'okta.groups.read', handle: (ctx) => listGroupRules(ctx) },
  { pattern: new RegExp(`^/api/v1/groups/${SEGMENT}/roles$`), bucket: 'groups', scope: 'okta.roles.read', handle: listGroupRoles },
  { pattern: new RegExp(`^/api/v1/groups/${SEGMENT}$`), bucket: 'group', scope: 'okta.groups.read', handle: getGroup },
  { pattern: new RegExp(`^/api/v1/groups/${SEGMENT}/users$`), bucket: 'groups', scope: 'okta.groups.read', handle: listGroupUsers },
  { pattern: /^\/api\/v1\/apps\/?$/, bucket: 'apps', scope: 'okta.apps.read', handle: (ctx) => listApps(ctx) },
  { pattern: new RegExp(`^/api/v1/apps/${SEGMENT}$`), bucket: 'app', scope: 'okta.apps.read', handle: getApp },
  { pattern: new RegExp(`^/api/v1/apps/${SEGMENT}/users$`), bucket: 'apps', scope: 'okta.apps.read', handle: listAppUsers },
  { pattern: new RegExp(`^/api/v1/apps/${SEGMENT}/groups$`), bucket: 'apps', scope: 'okta.apps.read', handle: listAppGroups },
  { pattern: /^\/api\/v1\/logs\/?$/, bucket: 'logs', scope: 'okta.logs.read', handle: (ctx) => listLogs(ctx) },
  { pattern: /^\/api\/v1\/iam\/assignees\/users\/?$/, bucket: 'default', scope: 'okta.roles.read', handle: (ctx) => listRoleAssignees(ctx) },
  { pattern: /^\/api\/v1\/meta\/types\/user\/?$/, bucket: 'default', scope: 'okta.userTypes.read', handle: (ctx) => listUserTypes(ctx) },
  { pattern: new RegExp(`^/api/v1/meta/schemas/user/${SEGMENT}$`), bucket: 'default', scope: 'okta.schemas.read', handle: getUserSchema },
]

/** The route for a GET path, or undefined (404 E0000008). */
export function routeOf(path: string): Route | undefined {
  for (const r of TABLE) {
    const m = r.pattern.exec(path)
    if (m) {
      const id = m[1] ?? ''
      return { bucket: r.bucket, scope: r.scope, handle: (ctx) => r.handle(ctx, id) }
    }
  }
  return undefined
}

/** The bucket a path counts against, even for paths we do not serve (Okta's table, okta-api.md §4). */
export function bucketOf(path: string): BucketName {
  if (path === '/oauth2/v1/token') return 'token'
  const route = routeOf(path)
  if (route) return route.bucket
  if (/^\/api\/v1\/apps(\/|$)/.test(path)) return 'apps'
  if (/^\/api\/v1\/groups(\/|$)/.test(path)) return 'groups'
  if (/^\/api\/v1\/users\/[^/]+\//.test(path)) return 'user'
  return 'default'
}
