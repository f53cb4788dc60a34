/** GET /api/v1/apps, /api/v1/apps/{id}, /api/v1/apps/{id}/users, /api/v1/apps/{id}/groups. */
import { notFound, type ApiResponse } from './api-response.ts'
import { parseParam } from './expression-errors.ts'
import { evaluate, type Expr, type ExpressionRules } from './filter-expression.ts'
import { userJson, type AppRecord } from './org-generator.ts'
import type { AppAssignment, OrgStore } from './org-store.ts'
import { decodeCursor, encodeCursor, linkHeaders, parseLimit } from './pagination.ts'
import { below } from './random.ts'
import type { RouteContext } from './route-context.ts'

const FILTER_RULES: ExpressionRules = {
  allow: (attr, op) => op === 'eq' && ['id', 'status', 'name', 'user.id', 'group.id'].includes(attr),
  dateAttrs: new Set(),
}

function appJson(base: string, a: AppRecord): Record<string, unknown> {
  const self = `${base}/api/v1/apps/${a.id}`
  const name = String(a.body.name)
  const active = a.body.status === 'ACTIVE'
  return {
    ...a.body,
    _links: {
      uploadLogo: { href: `${self}/logo`, hints: { allow: ['POST'] } },
      appLinks: [{ name: `${name}_link`, href: `${base}/home/${name}/${a.id}/aln${a.id.slice(3, 17)}`, type: 'text/html' }],
      groups: { href: `${self}/groups` },
      logo: [{ name: 'medium', href: `${base}/assets/img/logos/default.6770228fb0dab49a1695ef440a5279bb.png`, type: 'image/png' }],
      users: { href: `${self}/users` },
      ...(active ? { deactivate: { href: `${self}/lifecycle/deactivate` } } : { activate: { href: `${self}/lifecycle/activate` } }),
      self: { href: self },
    },
  }
}

function appAccessor(store: OrgStore, a: AppRecord): (attr: string) => unknown {
  return (attr) => {
    switch (attr) {
      case 'id': return a.id
      case 'status': return a.body.status
      case 'name': return a.body.name
      // Apps assigned to a user / group (older API versions).
      case 'user.id': return [...store.appUsers(a.seq, -1)].map(([u]) => store.userId(u))
      case 'group.id': return a.groups.map((g) => store.group(g)?.id).filter((id) => id !== undefined)
    }
    return undefined
  }
}

export function listApps(ctx: RouteContext): ApiResponse {
  const { store, query } = ctx
  const limit = parseLimit(query.get('limit'), 20, 200)
  const filter = query.get('filter')
  const expr: Expr | null = filter === null ? null : parseParam(filter, FILTER_RULES, 'filter')
  const q = query.get('q')?.toLowerCase()
  const cursor = decodeCursor(query.get('after'), 'a', ['number'])
  const items: AppRecord[] = []
  let more = false
  for (const a of store.appsInOrder(cursor ? (cursor[0] as number) : -1)) {
    if (expr && !evaluate(expr, appAccessor(store, a))) continue
    if (q !== undefined && !String(a.body.name).toLowerCase().startsWith(q) && !String(a.body.label).toLowerCase().startsWith(q)) continue
    if (items.length === limit) {
      more = true
      break
    }
    items.push(a)
  }
  const last = items[items.length - 1]
  const next = more && last ? encodeCursor('a', last.seq) : null
  return { status: 200, body: items.map((a) => appJson(ctx.base, a)), links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next) }
}

export function getApp(ctx: RouteContext, id: string): ApiResponse {
  const seq = ctx.store.appSeq(id)
  if (seq === undefined) return notFound(id, 'AppInstance')
  return { status: 200, body: appJson(ctx.base, ctx.store.app(seq)!) }
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** The app-specific profile differs per app, like real provisioning targets. */
function appUserProfile(a: AppRecord, names: ReturnType<OrgStore['appUserNames']>, seed: number, u: number): Record<string, unknown> {
  const mode = a.body.signOnMode
  if (a.body.name === 'salesforce') {
    return {
      secondEmail: null, lastName: names.lastName, mobilePhone: null, email: names.email,
      salesforceGroups: below(seed, u, 410, 3) === 0 ? ['Employee', 'Admin'] : ['Employee'],
      role: below(seed, u, 411, 2) === 0 ? 'Developer' : 'Sales', firstName: names.firstName, profile: 'Standard User',
    }
  }
  if (mode === 'SAML_2_0' || mode === 'SAML_1_1') return { email: names.email, firstName: names.firstName, lastName: names.lastName }
  if (mode === 'OPENID_CONNECT') return { tier: below(seed, u, 412, 2) === 0 ? 'gold' : 'standard' }
  return {}
}

function appUserJson(ctx: RouteContext, a: AppRecord, u: number, asg: AppAssignment, expandUser: boolean): Record<string, unknown> {
  const { store, base } = ctx
  const names = store.appUserNames(u)
  const userId = store.userId(u)
  const provisioned = a.body.name === 'salesforce' || a.body.name === 'workday'
  const links: Record<string, unknown> = {
    app: { href: `${base}/api/v1/apps/${a.id}` },
    user: { href: `${base}/api/v1/users/${userId}` },
  }
  if (asg.scope === 'GROUP' && asg.group !== null) {
    const g = store.group(asg.group)
    if (g) links.group = { name: g.profile.name, href: `${base}/api/v1/groups/${g.id}` }
  }
  const out: Record<string, unknown> = {
    id: userId,
    ...(provisioned ? { externalId: store.externalIdFor(a.seq, u) } : {}),
    created: iso(asg.created),
    lastUpdated: iso(asg.lastUpdated),
    scope: asg.scope,
    status: provisioned ? 'PROVISIONED' : 'ACTIVE',
    statusChanged: iso(asg.lastUpdated),
    passwordChanged: null,
    syncState: provisioned ? 'SYNCHRONIZED' : 'DISABLED',
    ...(provisioned ? { lastSync: iso(asg.lastUpdated) } : {}),
    credentials: { userName: names.login },
    profile: appUserProfile(a, names, store.ctx.seed, u),
    _links: links,
  }
  if (expandUser) out._embedded = { user: userJson(store.user(u)!, base, store.ctx.userTypeId) }
  return out
}

export function listAppUsers(ctx: RouteContext, id: string): ApiResponse {
  const { store, query } = ctx
  const seq = store.appSeq(id)
  if (seq === undefined) return notFound(id, 'AppInstance')
  const app = store.app(seq)!
  const limit = parseLimit(query.get('limit'), 50, 500)
  const cursor = decodeCursor(query.get('after'), 'au', ['number'])
  const q = query.get('q')?.toLowerCase()
  const expandUser = query.get('expand') === 'user'
  const items: [number, AppAssignment][] = []
  let more = false
  for (const entry of store.appUsers(seq, cursor ? (cursor[0] as number) : -1)) {
    if (q !== undefined) {
      const n = store.appUserNames(entry[0])
      if (![n.login, n.firstName, n.lastName, n.email].some((v) => v.toLowerCase().startsWith(q))) continue
    }
    if (items.length === limit) {
      more = true
      break
    }
    items.push(entry)
  }
  const last = items[items.length - 1]
  const next = more && last ? encodeCursor('au', last[0]) : null
  return {
    status: 200,
    body: items.map(([u, asg]) => appUserJson(ctx, app, u, asg, expandUser)),
    links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next),
  }
}

export function listAppGroups(ctx: RouteContext, id: string): ApiResponse {
  const { store, query } = ctx
  const seq = store.appSeq(id)
  if (seq === undefined) return notFound(id, 'AppInstance')
  const app = store.app(seq)!
  const limit = parseLimit(query.get('limit'), 20, 200)
  const cursor = decodeCursor(query.get('after'), 'ag', ['number'])
  const after = cursor ? (cursor[0] as number) : -1
  const groups = app.groups.filter((g) => g > after && store.group(g)).sort((x, y) => x - y)
  const page = groups.slice(0, limit)
  const last = page[page.length - 1]
  const next = groups.length > limit && last !== undefined ? encodeCursor('ag', last) : null
  return {
    status: 200,
    body: page.map((g, priority) => {
      const rec = store.group(g)!
      return {
        id: rec.id,
        lastUpdated: new Date(store.graph.appGroupUpdated(seq, g, rec.lastUpdated)).toISOString(),
        priority,
        profile: {},
        _links: { app: { href: `${ctx.base}/api/v1/apps/${app.id}` }, self: { href: `${ctx.base}/api/v1/apps/${app.id}/groups/${rec.id}` }, group: { href: `${ctx.base}/api/v1/groups/${rec.id}` } },
      }
    }),
    links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next),
  }
}
