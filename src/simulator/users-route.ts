/** GET /api/v1/users and /api/v1/users/{idOrLogin}. */
import { fail, notFound, type ApiResponse } from './api-response.ts'
import { evaluate, equalityOf, rangeOf, type Expr, type ExpressionRules, type Operator } from './filter-expression.ts'
import { parseParam } from './expression-errors.ts'
import { userJson } from './org-generator.ts'
import type { OrgStore, UserKey } from './org-store.ts'
import { decodeCursor, encodeCursor, linkHeaders, parseLimit } from './pagination.ts'
import type { RouteContext } from './route-context.ts'

const USER_DATES = new Set(['created', 'activated', 'statusChanged', 'lastUpdated', 'lastLogin', 'passwordChanged'])
const FILTER_ATTRS = new Set(['status', 'lastUpdated', 'id', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName'])
const RANGE_OPS = new Set<Operator>(['gt', 'ge', 'lt', 'le'])
const SEARCH_TOP = new Set(['id', 'status', 'created', 'activated', 'statusChanged', 'lastUpdated', 'lastLogin', 'passwordChanged', 'type.id'])
const SEARCH_OPS = new Set<Operator>(['eq', 'sw', 'gt', 'ge', 'lt', 'le', 'pr'])
const CONTAINS_ATTRS = new Set(['profile.firstName', 'profile.lastName', 'profile.email', 'profile.login'])

/** `filter`: a few attributes, `eq` only, plus ranges on lastUpdated; no `not`. */
const FILTER_RULES: ExpressionRules = {
  allow: (attr, op) => FILTER_ATTRS.has(attr) && (op === 'eq' || (attr === 'lastUpdated' && RANGE_OPS.has(op))),
  dateAttrs: USER_DATES,
}

/** `search`: any profile attribute and the top-level dates; `co` only on four profile fields. */
const SEARCH_RULES: ExpressionRules = {
  allow: (attr, op) =>
    (SEARCH_TOP.has(attr) || /^profile\.[A-Za-z0-9_$]+$/.test(attr))
    && (SEARCH_OPS.has(op) || (op === 'co' && CONTAINS_ATTRS.has(attr))),
  dateAttrs: USER_DATES,
}

function serialize(store: OrgStore, base: string, index: number, single = false): Record<string, unknown> {
  return userJson(store.user(index)!, base, store.ctx.userTypeId, single)
}

export function getUser(ctx: RouteContext, idOrLogin: string): ApiResponse {
  const index = ctx.store.findUser(decodeURIComponent(idOrLogin))
  if (index === undefined) return notFound(idOrLogin, 'User')
  return { status: 200, body: serialize(ctx.store, ctx.base, index, true) }
}

export function listUsers(ctx: RouteContext): ApiResponse {
  const { store, query } = ctx
  const filter = query.get('filter')
  const search = query.get('search')
  const q = query.get('q')
  if (filter !== null && search !== null) fail(400, 'E0000033', "Can't specify a search query and filter in the same request.")
  const limit = parseLimit(query.get('limit'), q !== null ? 10 : 200, 200)
  const sortBy = query.get('sortBy')
  const sortOrder = (query.get('sortOrder') ?? 'asc').toLowerCase()
  if (sortBy !== null && sortBy !== 'lastUpdated') {
    fail(400, 'E0000031', 'Invalid search criteria.', [`sortBy: ${sortBy} is not supported by this simulator`])
  }
  if (sortOrder !== 'asc' && sortOrder !== 'desc') fail(400, 'E0000031', 'Invalid search criteria.', ['sortOrder: must be asc or desc'])
  // Sorting applies to search only; every listing is in (lastUpdated, id) order otherwise.
  const desc = search !== null && sortOrder === 'desc'
  let expr: Expr | null = null
  if (filter !== null) expr = parseParam(filter, FILTER_RULES, 'filter')
  if (search !== null) expr = parseParam(search, SEARCH_RULES, 'search')

  const cursor = decodeCursor(query.get('after'), 'u', ['number', 'string'])
  const after: UserKey | null = cursor ? [cursor[0] as number, cursor[1] as string] : null

  let predicate: (index: number) => boolean
  if (expr !== null) {
    const e = expr
    predicate = (i) => evaluate(e, store.userAccessor(i))
  } else if (q !== null) {
    const needle = q.toLowerCase()
    predicate = (i) => {
      if (store.status(i) === 'DEPROVISIONED') return false
      const n = store.appUserNames(i)
      return [n.firstName, n.lastName, n.email].some((v) => v.toLowerCase().startsWith(needle))
    }
  } else {
    // Okta's default listing leaves DEPROVISIONED users out.
    predicate = (i) => store.status(i) !== 'DEPROVISIONED'
  }

  let candidates: Iterable<number>
  const idEq = expr ? equalityOf(expr, 'id') : undefined
  const loginEq = expr ? equalityOf(expr, 'profile.login') : undefined
  if (typeof idEq === 'string' || typeof loginEq === 'string') {
    // One possible match: look it up instead of scanning a million users.
    const index = store.findUser((idEq ?? loginEq) as string)
    const inOrder = index !== undefined
      && (after === null || (() => {
        const key: UserKey = [store.lastUpdated(index), store.userId(index)]
        const c = key[0] !== after[0] ? key[0] - after[0] : key[1] < after[1] ? -1 : key[1] > after[1] ? 1 : 0
        return desc ? c < 0 : c > 0
      })())
    candidates = inOrder ? [index] : []
  } else {
    const range = expr ? rangeOf(expr, 'lastUpdated') : {}
    candidates = store.usersInOrder({ after, desc, ...range })
  }

  const items: number[] = []
  let more = false
  for (const i of candidates) {
    if (!predicate(i)) continue
    if (items.length === limit) {
      more = true
      break
    }
    items.push(i)
  }
  const last = items[items.length - 1]
  // `q` results are not paginated.
  const next = more && q === null && last !== undefined ? encodeCursor('u', store.lastUpdated(last), store.userId(last)) : null
  return {
    status: 200,
    body: items.map((i) => serialize(store, ctx.base, i)),
    links: linkHeaders(ctx.base, ctx.rawUrl, ctx.path, query, next),
  }
}
