/** GET /api/v1/groups, /api/v1/groups/{id}, /api/v1/groups/{id}/users. */
import { fail, notFound, type ApiResponse } from './api-response.ts'
import { parseParam } from './expression-errors.ts'
import { evaluate, type Expr, type ExpressionRules, type Operator } from './filter-expression.ts'
import { userJson, type GroupRecord } from './org-generator.ts'
import type { OrgStore } from './org-store.ts'
import { decodeCursor, encodeCursor, linkHeaders, parseLimit } from './pagination.ts'
import type { RouteContext } from './route-context.ts'

const GROUP_DATES = new Set(['created', 'lastUpdated', 'lastMembershipUpdated'])
const RANGE_OPS = new Set<Operator>(['gt', 'ge', 'lt', 'le', 'eq'])

const FILTER_RULES: ExpressionRules = {
  allow: (attr, op) =>
    ((attr === 'id' || attr === 'type') && op === 'eq')
    || ((attr === 'lastUpdated' || attr === 'lastMembershipUpdated') && RANGE_OPS.has(op)),
  dateAttrs: GROUP_DATES,
}

const SEARCH_RULES: ExpressionRules = {
  allow: (attr, op) => {
    if (GROUP_DATES.has(attr)) return RANGE_OPS.has(op)
    if (attr === 'id' || attr === 'type' || attr === 'source.id' || /^profile\.[A-Za-z0-9_$]+$/.test(attr)) {
      return op === 'eq' || op === 'sw' || (op === 'co' && (attr === 'profile.name' || attr === 'profile.description'))
    }
    return false
  },
  dateAttrs: GROUP_DATES,
}

/** Okta's spec up to 2024 says default 10000; later specs give none. We pick 10000 (see report). */
const GROUPS_DEFAULT_LIMIT = 10_000
const GROUPS_MAX_LIMIT = 10_000

const iso = (ms: number): string => new Date(ms).toISOString()

function groupJson(store: OrgStore, base: string, g: GroupRecord, expand: Set<string>): Record<string, unknown> {
  const self = `${base}/api/v1/groups/${g.id}`
  const links: Record<string, unknown> = {
    logo: [
      { name: 'medium', href: `${base}/img/logos/groups/okta-medium.png`, type: 'image/png' },
      { name: 'large', href: `${base}/img/logos/groups/okta-large.png`, type: 'image/png' },
    ],
    users: { href: `${self}/users` },
    apps: { href: `${self}/apps` },
    self: { href: self },
  }
  const out: Record<string, unknown> = {
    id: g.id,
    created: iso(g.created),
    lastUpdated: iso(g.lastUpdated),
    lastMembershipUpdated: iso(g.lastMembershipUpdated),
    objectClass: g.objectClass,
    type: g.type,
    profile: g.profile,
    _links: links,
  }
  const app = g.sourceApp === null ? undefined : store.app(g.sourceApp)
  if (g.type === 'APP_GROUP' && app) {
    out.source = { id: app.id }
    links.source = { href: `${base}/api/v1/apps/${app.id}` }
  }
  const embedded: Record<string, unknown> = {}
  if (expand.has('stats')) {
    embedded.stats = {
      usersCount: store.groupMemberCount(g.seq),
      appsCount: store.groupAppsCount(g.seq),
      groupPushMappingsCount: 0,
      // Misspelled exactly as Okta spells it.
      hasAdminPrivlege: g.admin,
    }
  }
  if (expand.has('app') && app) {
    embedded.app = { id: app.id, name: app.body.name, label: app.body.label, signOnMode: app.body.signOnMode }
  }
  if (Object.keys(embedded).length > 0) out._embedded = embedded
  return out
}

function groupAccessor(store: OrgStore, g: GroupRecord): (attr: string) => unknown {
  return (attr) => {
    switch (attr) {
      case 'id': return g.id
      case 'type': return g.type
      case 'created': return g.created
      case 'lastUpdated': return g.lastUpdated
      case 'lastMembershipUpdated': return g.lastMembershipUpdated
      case 'source.id': return g.sourceApp === null ? undefined : store.app(g.sourceApp)?.id
    }
    return attr.startsWith('profile.') ? g.profile[attr.slice(8)] : undefined
  }
}

function expandOf(query: URLSearchParams): Set<string> {
  return new Set((query.get('expand') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))
}

export function listGroups(ctx: RouteContext): ApiResponse {
  const { store, query } = ctx
  const filter = query.get('filter')
  const search = query.get('search')
  const q = query.get('q')
  if (filter !== null && search !== null) fail(400, 'E0000033', "Can't specify a search query and filter in the same request.")
  const limit = parseLimit(query.get('limit'), q !== null ? 300 : GROUPS_DEFAULT_LIMIT, GROUPS_MAX_LIMIT)
  let expr: Expr | null = null
  if (filter !== null) expr = parseParam(filter, FILTER_RULES, 'filter')
  if (search !== null) expr = parseParam(search, SEARCH_RULES, 'search')
  const cursor = decodeCursor(query.get('after'), 'g', ['number'])
  const expand = expandOf(query)
  const needle = q?.toLowerCase()
  const items: GroupRecord[] = []
  let more = false
  for (const g of store.groupsInOrder(cursor ? (cursor[0] as number) : -1)) {
    if (expr && !evaluate(expr, groupAccessor(store, g))) continue
    if (needle !== undefined && !String(g.profile.name).toLowerCase().startsWith(needle)) continue
    if (items.length === limit) {
      more = true
      break
    }
    items.push(g)
  }
  const last = items[items.length - 1]
  const next = more && q === null && last ? encodeCursor('g', last.seq) : null
  return {
    status: 200,
    body: items.map((g) => groupJson(store, ctx.base, g, expand)),
    links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next),
  }
}

export function getGroup(ctx: RouteContext, id: string): ApiResponse {
  const seq = ctx.store.groupSeq(id)
  if (seq === undefined) return notFound(id, 'UserGroup')
  return { status: 200, body: groupJson(ctx.store, ctx.base, ctx.store.group(seq)!, expandOf(ctx.query)) }
}

export function listGroupUsers(ctx: RouteContext, id: string): ApiResponse {
  const { store, query } = ctx
  const seq = store.groupSeq(id)
  if (seq === undefined) return notFound(id, 'UserGroup')
  const limit = parseLimit(query.get('limit'), 1000, 1000)
  const cursor = decodeCursor(query.get('after'), 'm', ['number'])
  const items: number[] = []
  let more = false
  for (const u of store.groupMembers(seq, cursor ? (cursor[0] as number) : -1)) {
    if (items.length === limit) {
      more = true
      break
    }
    items.push(u)
  }
  const last = items[items.length - 1]
  const next = more && last !== undefined ? encodeCursor('m', last) : null
  return {
    status: 200,
    body: items.map((u) => userJson(store.user(u)!, ctx.base, store.ctx.userTypeId)),
    links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next),
  }
}
