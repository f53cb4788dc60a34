/**
 * The access-graph endpoints (okta-api.md §8): role assignments of users and groups, the role
 * assignee listing (a body envelope `{ value, _links.next }`, not a bare array), factors, group
 * rules, user types and the user profile schema.
 */
import type { Factor, RoleAssignment, SchemaAttribute } from './access-graph.ts'
import { notFound, type ApiResponse } from './api-response.ts'
import { decodeCursor, encodeCursor, linkHeaders, parseLimit } from './pagination.ts'
import type { RouteContext } from './route-context.ts'

const iso = (ms: number): string => new Date(ms).toISOString()

function roleJson(base: string, role: RoleAssignment, assignee: { kind: 'users' | 'groups'; id: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: role.id,
    label: role.label,
    type: role.type,
    status: role.status,
    created: iso(role.created),
    lastUpdated: iso(role.lastUpdated),
    assignmentType: assignee.kind === 'users' ? 'USER' : 'GROUP',
  }
  const links: Record<string, unknown> = { assignee: { href: `${base}/api/v1/${assignee.kind}/${assignee.id}` } }
  if (role.role !== undefined && role.resourceSet !== undefined) {
    out.role = role.role
    out['resource-set'] = role.resourceSet
    links['resource-set'] = { href: `${base}/api/v1/iam/resource-sets/${role.resourceSet}` }
    links.role = { href: `${base}/api/v1/iam/roles/${role.role}` }
    links.permissions = { href: `${base}/api/v1/iam/permission-sets/${role.role}/permissions` }
  }
  out._links = links
  return out
}

/** GET /api/v1/users/{id}/roles: direct roles, then roles held through groups (assignee = the group). One page, no Link header. */
export function listUserRoles(ctx: RouteContext, id: string): ApiResponse {
  const { store, base } = ctx
  const index = store.findUser(id)
  if (index === undefined) return notFound(id, 'User')
  const userId = store.userId(index)
  const body: Record<string, unknown>[] = store.userRoleAssignments(index).map((r) => roleJson(base, r, { kind: 'users', id: userId }))
  for (const g of store.adminGroups()) {
    if (!store.isMember(g.seq, index)) continue
    for (const r of store.groupRoleAssignments(g.seq)) body.push(roleJson(base, r, { kind: 'groups', id: g.id }))
  }
  return { status: 200, body }
}

/** GET /api/v1/groups/{id}/roles. One page, no Link header. */
export function listGroupRoles(ctx: RouteContext, id: string): ApiResponse {
  const { store, base } = ctx
  const seq = store.groupSeq(id)
  if (seq === undefined) return notFound(id, 'UserGroup')
  return { status: 200, body: store.groupRoleAssignments(seq).map((r) => roleJson(base, r, { kind: 'groups', id })) }
}

/**
 * GET /api/v1/iam/assignees/users: users holding a role (directly or through a group), in id
 * order; `after` is the last user id of the previous page. Paged by the body's `_links.next`
 * (no Link header: the AMBIGUOUS reading a client must cope with).
 */
export function listRoleAssignees(ctx: RouteContext): ApiResponse {
  const { store, base, query } = ctx
  const limit = parseLimit(query.get('limit'), 100, 1000)
  const after = query.get('after')
  const afterIndex = after === null || after === '' ? -1 : store.ctx.userIds.decode(after) ?? -1
  const value: Record<string, unknown>[] = []
  let more = false
  for (const u of store.roleHolders(afterIndex)) {
    if (value.length === limit) {
      more = true
      break
    }
    const id = store.userId(u)
    value.push({
      id,
      orn: `orn:okta:00o${store.ctx.seed}:users:${id}`,
      _links: { self: { href: `${base}/api/v1/users/${id}` }, roles: { href: `${base}/api/v1/users/${id}/roles` } },
    })
  }
  const last = value[value.length - 1]
  const links: Record<string, unknown> = {}
  if (more && last) {
    const next = new URLSearchParams(query)
    next.set('after', String(last.id))
    next.set('limit', String(limit))
    links.next = { href: `${base}/api/v1/iam/assignees/users?${next.toString()}` }
  }
  return { status: 200, body: { value, _links: links } }
}

function factorJson(base: string, userId: string, f: Factor): Record<string, unknown> {
  const self = `${base}/api/v1/users/${userId}/factors/${f.id}`
  const links: Record<string, unknown> = {
    self: { href: self, hints: { allow: ['GET', 'DELETE'] } },
    user: { href: `${base}/api/v1/users/${userId}`, hints: { allow: ['GET'] } },
  }
  if (f.status === 'ACTIVE') links.verify = { href: `${self}/verify`, hints: { allow: ['POST'] } }
  else links.activate = { href: `${self}/lifecycle/activate`, hints: { allow: ['POST'] } }
  const out: Record<string, unknown> = {
    id: f.id,
    factorType: f.factorType,
    provider: f.provider,
    vendorName: f.vendorName,
    status: f.status,
    created: iso(f.created),
    lastUpdated: iso(f.lastUpdated),
    profile: f.profile,
    _links: links,
  }
  if (f.status === 'PENDING_ACTIVATION') out._embedded = { activation: { expiresAt: iso(f.lastUpdated + 7 * 86_400_000), factorResult: 'WAITING' } }
  return out
}

/** GET /api/v1/users/{id}/factors: bare array, no paging. */
export function listFactors(ctx: RouteContext, id: string): ApiResponse {
  const { store, base } = ctx
  const index = store.findUser(id)
  if (index === undefined) return notFound(id, 'User')
  const userId = store.userId(index)
  return { status: 200, body: store.userFactors(index).map((f) => factorJson(base, userId, f)) }
}

/** GET /api/v1/groups/rules: Link paging (limit default 50, max 200), `expand=groupIdToGroupNameMap`. */
export function listGroupRules(ctx: RouteContext): ApiResponse {
  const { store, query } = ctx
  const limit = parseLimit(query.get('limit'), 50, 200)
  const cursor = decodeCursor(query.get('after'), 'gr', ['number'])
  const start = cursor ? (cursor[0] as number) : 0
  const rules = store.groupRules()
  const page = rules.slice(start, start + limit)
  const expandNames = (query.get('expand') ?? '').split(',').includes('groupIdToGroupNameMap')
  const body = page.map((r) => {
    const out: Record<string, unknown> = {
      type: 'group_rule',
      id: r.id,
      status: r.status,
      name: r.name,
      created: iso(r.created),
      lastUpdated: iso(r.lastUpdated),
      conditions: {
        people: { users: { exclude: r.excludeUsers }, groups: { exclude: [] } },
        expression: { value: r.expression, type: 'urn:okta:expression:1.0' },
      },
      actions: { assignUserToGroups: { groupIds: r.groupIds } },
    }
    if (expandNames) {
      const names: Record<string, string> = {}
      for (const gid of r.groupIds) {
        const seq = store.groupSeq(gid)
        const g = seq === undefined ? undefined : store.group(seq)
        if (g) names[gid] = String(g.profile.name)
      }
      out._embedded = { groupIdToGroupNameMap: names }
    }
    return out
  })
  const next = start + limit < rules.length ? encodeCursor('gr', start + limit) : null
  return { status: 200, body, links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next) }
}

/** GET /api/v1/meta/types/user: bare array, not paginated. */
export function listUserTypes(ctx: RouteContext): ApiResponse {
  const { store, base } = ctx
  const admin = 'spr' + store.ctx.userTypeId.slice(3)
  return {
    status: 200,
    body: store.graph.types().map((t) => ({
      id: t.id,
      displayName: t.displayName,
      name: t.name,
      description: t.description,
      createdBy: admin,
      lastUpdatedBy: admin,
      created: iso(t.created),
      lastUpdated: iso(t.lastUpdated),
      default: t.default,
      _links: {
        schema: { rel: 'schema', href: `${base}/api/v1/meta/schemas/user/osc${t.id.slice(3)}`, method: 'GET' },
        self: { rel: 'self', href: `${base}/api/v1/meta/types/user/${t.id}`, method: 'GET' },
      },
    })),
  }
}

function attributeJson(a: SchemaAttribute): Record<string, unknown> {
  const out: Record<string, unknown> = { title: a.title, type: a.type }
  if (a.items) out.items = a.items
  if (a.required) out.required = true
  if (a.enum) out.enum = a.enum
  if (a.format) out.format = a.format
  if (a.unique) out.unique = a.unique
  out.mutability = a.mutability
  out.scope = a.scope
  out.permissions = [{ principal: 'SELF', action: a.mutability === 'READ_WRITE' ? 'READ_WRITE' : 'READ_ONLY' }]
  return out
}

/** GET /api/v1/meta/schemas/user/{id} (`default` or the default type's `osc…` id). */
export function getUserSchema(ctx: RouteContext, id: string): ApiResponse {
  const { store, base } = ctx
  const defaultSchemaId = `osc${store.ctx.userTypeId.slice(3)}`
  if (id !== 'default' && id !== defaultSchemaId) return notFound(id, 'UserSchema')
  const schema = store.graph.schema()
  const section = (name: 'base' | 'custom', attrs: ReadonlyMap<string, SchemaAttribute>): Record<string, unknown> => ({
    id: `#${name}`,
    type: 'object',
    properties: Object.fromEntries([...attrs].map(([k, a]) => [k, attributeJson(a)])),
    required: [...attrs].filter(([, a]) => a.required).map(([k]) => k),
  })
  return {
    status: 200,
    body: {
      id: `${base}/meta/schemas/user/default`,
      $schema: 'http://json-schema.org/draft-04/schema#',
      name: 'user',
      title: 'User',
      description: 'Okta user profile template with default permission settings',
      lastUpdated: iso(schema.lastUpdated),
      created: iso(store.ctx.start - 400 * 86_400_000),
      definitions: { custom: section('custom', schema.custom), base: section('base', schema.base) },
      type: 'object',
      properties: { profile: { allOf: [{ $ref: '#/definitions/custom' }, { $ref: '#/definitions/base' }] } },
      _links: {
        self: { href: `${base}/api/v1/meta/schemas/user/${defaultSchemaId}`, method: 'GET', rel: 'self' },
        type: { href: `${base}/api/v1/meta/types/user/${store.ctx.userTypeId}`, method: 'GET', rel: 'type' },
      },
    },
  }
}
