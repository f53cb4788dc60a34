/**
 * The org as the API serves it: the lazily generated base org plus an overlay of everything that
 * was mutated at runtime. Keeps only compact indexes (sorted typed arrays) for memberships and
 * assignments; users are rebuilt from (seed, index) unless they were changed.
 */
import { AccessGraph, ROLE_LABELS, type Factor, type GroupRule, type RoleAssignment, type SchemaAttribute } from './access-graph.ts'
import type { OrgClock } from './clock.ts'
import { actorOf, type LogRefs, type Ref } from './log-generator.ts'
import { LogStore } from './log-store.ts'
import { APP_TEMPLATES } from './names.ts'
import {
  baseLastUpdated, baseStatus, buildApp, GENERATED_CUSTOM_ATTRIBUTES, generateApps, generateDirectAssignments, generateGroups, generateMemberships,
  generateUser, indexFromLogin, slug, userJson, userNames, type AppRecord, type GenContext, type GroupRecord, type GroupType,
  type UserRecord,
} from './org-generator.ts'
import { below, hex } from './random.ts'
import { has, mergeUnique, upperBound, withValue, withoutValue } from './sorted.ts'
import type { OrgControl, UserStatus } from './types.ts'

interface OrderEntry {
  lu: number
  id: string
  index: number
}

export interface AppAssignment {
  scope: 'USER' | 'GROUP'
  /** Group the assignment comes through (scope GROUP). */
  group: number | null
  created: number
  lastUpdated: number
}

/** (lastUpdated, id) of a user: the order of every user listing, and what cursors encode. */
export type UserKey = readonly [number, string]

function compareKey(lu1: number, id1: string, lu2: number, id2: string): number {
  if (lu1 !== lu2) return lu1 < lu2 ? -1 : 1
  return id1 < id2 ? -1 : id1 > id2 ? 1 : 0
}

const LIFECYCLE_EVENT: Partial<Record<UserStatus, string>> = {
  DEPROVISIONED: 'user.lifecycle.deactivate',
  SUSPENDED: 'user.lifecycle.suspend',
  LOCKED_OUT: 'user.account.lock',
  RECOVERY: 'user.account.reset_password',
  PASSWORD_EXPIRED: 'user.password.expire',
  STAGED: 'user.lifecycle.create',
  PROVISIONED: 'user.lifecycle.activate',
}

/** The schema type Okta would declare for an attribute holding `value`. */
function schemaTypeOf(value: unknown): SchemaAttribute['type'] {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number' || typeof value === 'bigint') return Number.isInteger(value) || typeof value === 'bigint' ? 'integer' : 'number'
  if (Array.isArray(value)) return 'array'
  return 'string'
}

export class OrgStore implements OrgControl {
  readonly ctx: GenContext
  readonly clock: OrgClock
  readonly logs: LogStore
  /** The server's base URL (for `_links` in objects handed out by the control surface). */
  baseUrl = ''
  readonly #baseUsers: number
  #nextUser: number
  #deleted = 0
  /** Mutated, created and hard-deleted users by index. */
  readonly #overlay = new Map<number, UserRecord>()
  /** Live overlay users sorted by (lastUpdated, id); base users not in the overlay keep index order. */
  readonly #order: OrderEntry[] = []
  readonly #layers: { name: string; valueFor: (userId: string, index: number) => unknown }[] = []
  readonly #groups: GroupRecord[]
  readonly #groupBySeq = new Map<string, number>()
  #members: Int32Array[] | null = null
  readonly #apps: AppRecord[]
  readonly #appBySeq = new Map<string, number>()
  #direct: Int32Array[] | null = null
  /** Per app: runtime assignments (null = unassigned) by user index, plus their sorted keys. */
  readonly #appOverlay = new Map<number, { byUser: Map<number, AppAssignment | null>; keys: Int32Array }>()
  readonly #appUserBase: { created: number; lastUpdated: number }
  /** Roles, factors, rules, user types and the profile schema (okta-api.md §8). */
  readonly graph: AccessGraph

  constructor(ctx: GenContext, clock: OrgClock) {
    this.ctx = ctx
    this.clock = clock
    this.#baseUsers = ctx.size.users
    this.#nextUser = ctx.size.users
    this.#groups = generateGroups(ctx)
    for (const g of this.#groups) this.#groupBySeq.set(g.id, g.seq)
    this.#apps = generateApps(ctx)
    for (const a of this.#apps) this.#appBySeq.set(a.id, a.seq)
    this.#appUserBase = { created: ctx.start - 300 * 86_400_000, lastUpdated: ctx.start - 20 * 86_400_000 }
    const refs: LogRefs = {
      user: (i) => this.#userRef(i),
      group: (g) => this.#groupRef(g),
      app: (a) => this.#appRef(a),
    }
    this.logs = new LogStore(ctx, refs)
    this.graph = new AccessGraph(ctx, (seq) => this.#groups[seq]?.id)
  }

  // -------------------------------------------------------------------------------------------
  // Users: reads

  get userCount(): number {
    return this.#nextUser - this.#deleted
  }

  #materialize(index: number): UserRecord {
    const rec = generateUser(this.ctx, index)
    for (const layer of this.#layers) rec.profile[layer.name] = layer.valueFor(rec.id, index)
    return rec
  }

  /** The live user at `index` (undefined when hard-deleted or never created). */
  user(index: number): UserRecord | undefined {
    const o = this.#overlay.get(index)
    if (o) return o.deleted ? undefined : o
    return index >= 0 && index < this.#baseUsers ? this.#materialize(index) : undefined
  }

  exists(index: number): boolean {
    const o = this.#overlay.get(index)
    if (o) return !o.deleted
    return index >= 0 && index < this.#baseUsers
  }

  userId(index: number): string {
    return this.#overlay.get(index)?.id ?? this.ctx.userIds.encode(index)
  }

  status(index: number): UserStatus {
    return this.#overlay.get(index)?.status ?? baseStatus(this.ctx, index)
  }

  lastUpdated(index: number): number {
    return this.#overlay.get(index)?.lastUpdated ?? baseLastUpdated(this.ctx, index)
  }

  /** A live user's index from its id or login. */
  findUser(idOrLogin: string): number | undefined {
    const byId = this.ctx.userIds.decode(idOrLogin)
    if (byId !== undefined) return this.exists(byId) ? byId : undefined
    if (!idOrLogin.includes('@')) return undefined
    const wanted = idOrLogin.toLowerCase()
    const guess = indexFromLogin(idOrLogin)
    if (guess !== undefined && this.exists(guess)) {
      const rec = this.user(guess)
      if (String(rec?.profile.login).toLowerCase() === wanted) return guess
    }
    for (const rec of this.#overlay.values()) {
      if (!rec.deleted && String(rec.profile.login).toLowerCase() === wanted) return rec.index
    }
    return undefined
  }

  /**
   * Lazily reads attributes of a user for filters: the cheap top-level fields come from the
   * generator's formulas; anything else builds the profile once.
   */
  userAccessor(index: number): (attr: string) => unknown {
    const o = this.#overlay.get(index)
    let rec: UserRecord | undefined = o
    return (attr) => {
      switch (attr) {
        case 'id': return this.userId(index)
        case 'status': return this.status(index)
        case 'lastUpdated': return this.lastUpdated(index)
      }
      rec ??= this.#materialize(index)
      switch (attr) {
        case 'created': return rec.created
        case 'activated': return rec.activated
        case 'statusChanged': return rec.statusChanged
        case 'lastLogin': return rec.lastLogin
        case 'passwordChanged': return rec.passwordChanged
        case 'type.id': return this.ctx.userTypeId
      }
      if (attr.startsWith('profile.')) return rec.profile[attr.slice(8)]
      return undefined
    }
  }

  /**
   * Live user indices in (lastUpdated, id) order, strictly after `after`, within [min, max]
   * (epoch ms, inclusive). Base users sit in index order (their lastUpdated grows with the index);
   * changed users are merged in from the sorted overlay, so an update moves a user to the end.
   */
  *usersInOrder(opts: { after: UserKey | null; desc: boolean; min?: number; max?: number }): Generator<number> {
    const { after, desc } = opts
    const min = opts.min ?? -Infinity
    const max = opts.max ?? Infinity
    const n = this.#baseUsers
    const ctx = this.ctx
    const baseKeyAfterStart = (i: number): boolean => {
      // Whether base user i lies at or past the scan's start, in scan direction.
      const lu = baseLastUpdated(ctx, i)
      if (!desc) {
        if (lu < min) return false
        return after === null || compareKey(lu, ctx.userIds.encode(i), after[0], after[1]) > 0
      }
      if (lu > max) return false
      return after === null || compareKey(lu, ctx.userIds.encode(i), after[0], after[1]) < 0
    }
    let b: number
    if (!desc) {
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (baseKeyAfterStart(mid)) hi = mid
        else lo = mid + 1
      }
      b = lo
    } else {
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (baseKeyAfterStart(mid)) lo = mid + 1
        else hi = mid
      }
      b = lo - 1
    }
    const order = this.#order
    const entryOk = (e: OrderEntry): boolean =>
      desc
        ? e.lu <= max && (after === null || compareKey(e.lu, e.id, after[0], after[1]) < 0)
        : e.lu >= min && (after === null || compareKey(e.lu, e.id, after[0], after[1]) > 0)
    let lo = 0
    let hi = order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const ok = entryOk(order[mid] as OrderEntry)
      if (desc ? ok : !ok) lo = mid + 1
      else hi = mid
    }
    let m = desc ? lo - 1 : lo
    for (;;) {
      while (b >= 0 && b < n && this.#overlay.has(b)) b += desc ? -1 : 1
      const bIn = b >= 0 && b < n
      const e = m >= 0 && m < order.length ? (order[m] as OrderEntry) : undefined
      if (!bIn && !e) return
      let takeBase: boolean
      if (!e) takeBase = true
      else if (!bIn) takeBase = false
      else {
        const c = compareKey(baseLastUpdated(ctx, b), ctx.userIds.encode(b), e.lu, e.id)
        takeBase = desc ? c > 0 : c < 0
      }
      if (takeBase) {
        const lu = baseLastUpdated(ctx, b)
        if (desc ? lu < min : lu > max) return
        yield b
        b += desc ? -1 : 1
      } else {
        const en = e as OrderEntry
        if (desc ? en.lu < min : en.lu > max) return
        yield en.index
        m += desc ? -1 : 1
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Users: control surface

  counts(): { users: number; groups: number; memberships: number; apps: number; assignments: number; logEvents: number } {
    let memberships = 0
    let groups = 0
    for (const g of this.#groups) {
      if (g.deleted) continue
      groups++
      memberships += this.groupMemberCount(g.seq)
    }
    let apps = 0
    let assignments = 0
    for (const a of this.#apps) {
      if (a.deleted) continue
      apps++
      for (const _ of this.appUsers(a.seq, -1)) assignments++
    }
    return { users: this.userCount, groups, memberships, apps, assignments, logEvents: this.logs.count() }
  }

  getUser(id: string): Record<string, unknown> | undefined {
    const index = this.findUser(id)
    const rec = index === undefined ? undefined : this.user(index)
    // A deep copy, shaped exactly like a listing's item.
    return rec ? JSON.parse(JSON.stringify(userJson(rec, this.baseUrl, this.ctx.userTypeId))) as Record<string, unknown> : undefined
  }

  *userIds(): Iterable<string> {
    for (let i = 0; i < this.#nextUser; i++) if (this.exists(i)) yield this.userId(i)
  }

  #requireUser(id: string): number {
    const index = this.findUser(id)
    if (index === undefined) throw new Error(`unknown user ${id}`)
    return index
  }

  /** Brings a user into the overlay (keeping its place in the order). */
  #own(index: number): UserRecord {
    let rec = this.#overlay.get(index)
    if (!rec) {
      rec = this.#materialize(index)
      this.#overlay.set(index, rec)
      this.#orderInsert(rec)
    }
    return rec
  }

  #orderFind(lu: number, id: string): number {
    let lo = 0
    let hi = this.#order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const e = this.#order[mid] as OrderEntry
      if (compareKey(e.lu, e.id, lu, id) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #orderInsert(rec: UserRecord): void {
    const at = this.#orderFind(rec.lastUpdated, rec.id)
    this.#order.splice(at, 0, { lu: rec.lastUpdated, id: rec.id, index: rec.index })
  }

  #orderRemove(rec: UserRecord): void {
    const at = this.#orderFind(rec.lastUpdated, rec.id)
    if (this.#order[at]?.id === rec.id) this.#order.splice(at, 1)
  }

  #touch(rec: UserRecord, now: number): void {
    this.#orderRemove(rec)
    rec.lastUpdated = now
    this.#orderInsert(rec)
  }

  #userRef(index: number): Ref {
    const o = this.#overlay.get(index)
    if (o) return { id: o.id, alternateId: String(o.profile.login), displayName: `${o.profile.firstName} ${o.profile.lastName}` }
    const names = userNames(this.ctx, index)
    return { id: this.ctx.userIds.encode(index), alternateId: names.login, displayName: names.displayName }
  }

  #groupRef(seq: number): Ref {
    const g = this.#groups[seq] as GroupRecord
    return { id: g.id, alternateId: String(g.profile.name), displayName: String(g.profile.name) }
  }

  #appRef(seq: number): Ref {
    const a = this.#apps[seq] as AppRecord
    return { id: a.id, alternateId: String(a.body.label), displayName: String(a.body.label) }
  }

  /** Records an org change in the System Log (actor: the org admin, user 0). */
  #log(eventType: string, targets: Record<string, unknown>[], extra: Record<string, unknown> = {}): void {
    const now = this.clock.nowMs()
    const admin = this.#baseUsers > 0 ? this.#userRef(0) : { id: '00uadmin000000000000', alternateId: 'admin@example.com', displayName: 'Org Admin' }
    this.logs.emit({ eventType, displayMessage: eventType, target: targets, ...extra }, now, now, actorOf(admin))
  }

  #userTarget(index: number): Record<string, unknown> {
    return { ...this.#userRef(index), type: 'User', detailEntry: null }
  }

  #groupTarget(seq: number): Record<string, unknown> {
    return { ...this.#groupRef(seq), type: 'UserGroup', detailEntry: null }
  }

  #appTarget(seq: number): Record<string, unknown> {
    return { ...this.#appRef(seq), type: 'AppInstance', detailEntry: null }
  }

  createUser(profile: Record<string, unknown> = {}, status: UserStatus = 'ACTIVE'): string {
    const now = this.clock.nowMs()
    const index = this.#nextUser++
    const rec = this.#materialize(index)
    Object.assign(rec.profile, profile)
    if (profile.login !== undefined && profile.email === undefined) rec.profile.email = profile.login
    rec.status = status
    rec.created = now
    rec.lastUpdated = now
    rec.activated = status === 'STAGED' ? null : now
    rec.statusChanged = status === 'STAGED' ? null : now
    rec.lastLogin = null
    rec.passwordChanged = status === 'STAGED' || status === 'PROVISIONED' ? null : now
    this.#overlay.set(index, rec)
    this.#orderInsert(rec)
    this.#groups[0]!.lastMembershipUpdated = now
    this.#log('user.lifecycle.create', [this.#userTarget(index)])
    if (status !== 'STAGED') this.#log('user.lifecycle.activate', [this.#userTarget(index)])
    return rec.id
  }

  updateUser(id: string, profilePatch: Record<string, unknown>): void {
    const index = this.#requireUser(id)
    const rec = this.#own(index)
    Object.assign(rec.profile, profilePatch)
    this.#touch(rec, this.clock.nowMs())
    this.#log('user.account.update_profile', [this.#userTarget(index)])
  }

  setUserStatus(id: string, status: UserStatus): void {
    const index = this.#requireUser(id)
    const rec = this.#own(index)
    const from = rec.status
    if (from === status) return
    const now = this.clock.nowMs()
    rec.status = status
    rec.statusChanged = now
    if (status === 'ACTIVE' && rec.activated === null) rec.activated = now
    this.#touch(rec, now)
    let eventType = LIFECYCLE_EVENT[status] ?? 'user.lifecycle.activate'
    if (status === 'ACTIVE') {
      eventType = from === 'SUSPENDED' ? 'user.lifecycle.unsuspend'
        : from === 'DEPROVISIONED' ? 'user.lifecycle.reactivate'
        : from === 'LOCKED_OUT' ? 'user.account.unlock'
        : 'user.lifecycle.activate'
    }
    this.#log(eventType, [this.#userTarget(index)])
  }

  deleteUser(id: string): void {
    const index = this.#requireUser(id)
    if (this.status(index) !== 'DEPROVISIONED') this.setUserStatus(id, 'DEPROVISIONED')
    const rec = this.#own(index)
    const target = this.#userTarget(index)
    const now = this.clock.nowMs()
    this.#log('user.lifecycle.delete.initiated', [target])
    this.#orderRemove(rec)
    rec.deleted = true
    this.#deleted++
    const members = this.#memberArrays()
    for (const g of this.#groups) {
      const before = members[g.seq] as Int32Array
      const after = withoutValue(before, index)
      if (after !== before || g.seq === 0) {
        members[g.seq] = after
        g.lastMembershipUpdated = now
      }
    }
    const direct = this.#directArrays()
    for (const a of this.#apps) direct[a.seq] = withoutValue(direct[a.seq] as Int32Array, index)
    for (const ov of this.#appOverlay.values()) ov.byUser.delete(index)
    this.graph.setUserRoles(index, [])
    this.graph.setFactors(index, [])
    this.#log('user.lifecycle.delete.completed', [target])
  }

  addCustomAttribute(name: string, valueFor: (userId: string, index: number) => unknown, opts: { touch?: boolean } = {}): void {
    this.#layers.push({ name, valueFor })
    // Okta declares an attribute in the profile schema before any user holds a value.
    if (!this.graph.schema().custom.has(name)) {
      const sample = this.#baseUsers > 0 ? valueFor(this.ctx.userIds.encode(0), 0) : null
      this.declareCustomAttribute(name, { type: schemaTypeOf(sample) })
    }
    for (const rec of this.#overlay.values()) if (!rec.deleted) rec.profile[name] = valueFor(rec.id, rec.index)
    if (opts.touch) {
      const now = this.clock.nowMs()
      for (let i = 0; i < this.#nextUser; i++) if (this.exists(i)) this.#touch(this.#own(i), now)
    }
  }

  setAttribute(userIds: string[], name: string, valueFor: (userId: string) => unknown): void {
    for (const id of userIds) {
      const index = this.#requireUser(id)
      const rec = this.#own(index)
      rec.profile[name] = valueFor(rec.id)
      this.#touch(rec, this.clock.nowMs())
      this.#log('user.account.update_profile', [this.#userTarget(index)])
    }
  }

  // -------------------------------------------------------------------------------------------
  // Groups

  #memberArrays(): Int32Array[] {
    this.#members ??= generateMemberships(this.ctx)
    return this.#members
  }

  group(seq: number): GroupRecord | undefined {
    const g = this.#groups[seq]
    return g && !g.deleted ? g : undefined
  }

  groupSeq(id: string): number | undefined {
    const seq = this.#groupBySeq.get(id)
    return seq !== undefined && this.group(seq) ? seq : undefined
  }

  /** Live groups in creation order. */
  groupsInOrder(afterSeq: number): Generator<GroupRecord> {
    const groups = this.#groups
    return (function* () {
      for (let s = afterSeq + 1; s < groups.length; s++) {
        const g = groups[s] as GroupRecord
        if (!g.deleted) yield g
      }
    })()
  }

  groupMemberCount(seq: number): number {
    if (seq === 0) return this.userCount
    return (this.#memberArrays()[seq] as Int32Array).length
  }

  /** Member user indices (ascending) after `afterIndex`. Everyone holds every live user. */
  *groupMembers(seq: number, afterIndex: number): Generator<number> {
    if (seq === 0) {
      for (let i = Math.max(0, afterIndex + 1); i < this.#nextUser; i++) if (this.exists(i)) yield i
      return
    }
    const arr = this.#memberArrays()[seq] as Int32Array
    for (let p = upperBound(arr, afterIndex); p < arr.length; p++) yield arr[p] as number
  }

  /** Number of live apps assigned to a group (for `expand=stats`). */
  groupAppsCount(seq: number): number {
    let n = 0
    for (const a of this.#apps) if (!a.deleted && a.groups.includes(seq)) n++
    return n
  }

  groupIds(): string[] {
    return this.#groups.filter((g) => !g.deleted).map((g) => g.id)
  }

  groupMemberIds(groupId: string): string[] {
    const seq = this.#requireGroup(groupId)
    return [...this.groupMembers(seq, -1)].map((i) => this.userId(i))
  }

  #requireGroup(id: string): number {
    const seq = this.groupSeq(id)
    if (seq === undefined) throw new Error(`unknown group ${id}`)
    return seq
  }

  /** Okta manages BUILT_IN memberships itself (Everyone holds every user): like Okta, refuse edits. */
  #requireEditable(seq: number): void {
    const g = this.#groups[seq] as GroupRecord
    if (g.type === 'BUILT_IN') throw new Error(`group ${g.id} (${String(g.profile.name)}) is BUILT_IN: its membership cannot be changed`)
  }

  createGroup(name: string, type: GroupType = 'OKTA_GROUP'): string {
    const now = this.clock.nowMs()
    const seq = this.#groups.length
    const members = this.#memberArrays()
    const rec: GroupRecord = {
      seq,
      id: this.ctx.groupIds.encode(seq),
      type,
      created: now,
      lastUpdated: now,
      lastMembershipUpdated: now,
      objectClass: type === 'APP_GROUP' ? ['okta:windows_security_principal'] : ['okta:user_group'],
      profile: { name, description: null },
      sourceApp: type === 'APP_GROUP' && this.#apps.length > 0 ? 0 : null,
      admin: false,
      deleted: false,
    }
    this.#groups.push(rec)
    members.push(new Int32Array(0))
    this.#groupBySeq.set(rec.id, seq)
    this.#log('group.lifecycle.create', [this.#groupTarget(seq)])
    return rec.id
  }

  updateGroup(id: string, profilePatch: Record<string, unknown>): void {
    const seq = this.#requireGroup(id)
    const g = this.#groups[seq] as GroupRecord
    Object.assign(g.profile, profilePatch)
    g.lastUpdated = this.clock.nowMs()
    this.#log('group.profile.update', [this.#groupTarget(seq)])
  }

  deleteGroup(id: string): void {
    const seq = this.#requireGroup(id)
    const g = this.#groups[seq] as GroupRecord
    const target = this.#groupTarget(seq)
    g.deleted = true
    for (const a of this.#apps) a.groups = a.groups.filter((s) => s !== seq)
    this.graph.setGroupRoles(seq, [])
    this.#log('group.lifecycle.delete', [target])
  }

  addMember(groupId: string, userId: string): void {
    const seq = this.#requireGroup(groupId)
    const index = this.#requireUser(userId)
    this.#requireEditable(seq)
    const members = this.#memberArrays()
    const before = members[seq] as Int32Array
    members[seq] = withValue(before, index)
    if (members[seq] === before) return
    this.#groups[seq]!.lastMembershipUpdated = this.clock.nowMs()
    this.#log('group.user_membership.add', [this.#userTarget(index), this.#groupTarget(seq)])
  }

  removeMember(groupId: string, userId: string): void {
    const seq = this.#requireGroup(groupId)
    const index = this.#requireUser(userId)
    this.#requireEditable(seq)
    const members = this.#memberArrays()
    const before = members[seq] as Int32Array
    members[seq] = withoutValue(before, index)
    if (members[seq] === before) return
    this.#groups[seq]!.lastMembershipUpdated = this.clock.nowMs()
    this.#log('group.user_membership.remove', [this.#userTarget(index), this.#groupTarget(seq)])
  }

  // -------------------------------------------------------------------------------------------
  // Apps

  #directArrays(): Int32Array[] {
    this.#direct ??= generateDirectAssignments(this.ctx)
    while (this.#direct.length < this.#apps.length) this.#direct.push(new Int32Array(0))
    return this.#direct
  }

  app(seq: number): AppRecord | undefined {
    const a = this.#apps[seq]
    return a && !a.deleted ? a : undefined
  }

  appSeq(id: string): number | undefined {
    const seq = this.#appBySeq.get(id)
    return seq !== undefined && this.app(seq) ? seq : undefined
  }

  *appsInOrder(afterSeq: number): Generator<AppRecord> {
    for (let s = afterSeq + 1; s < this.#apps.length; s++) {
      const a = this.#apps[s] as AppRecord
      if (!a.deleted) yield a
    }
  }

  appIds(): string[] {
    return this.#apps.filter((a) => !a.deleted).map((a) => a.id)
  }

  /**
   * The app's users (ascending user index) after `afterIndex`: direct assignments, members of
   * the groups assigned to the app (scope GROUP), and runtime changes.
   */
  *appUsers(seq: number, afterIndex: number): Generator<[number, AppAssignment]> {
    const app = this.#apps[seq] as AppRecord
    const direct = this.#directArrays()[seq] as Int32Array
    const members = app.groups.length > 0 ? this.#memberArrays() : []
    const groupArrays = app.groups.map((g) => members[g] as Int32Array)
    const ov = this.#appOverlay.get(seq)
    const sources: ArrayLike<number>[] = [direct, ...groupArrays]
    if (ov) sources.push(ov.keys)
    for (const u of mergeUnique(sources, afterIndex)) {
      const o = ov?.byUser.get(u)
      if (o === null) continue
      if (!this.exists(u)) continue
      if (o) {
        yield [u, o]
        continue
      }
      if (has(direct, u)) {
        yield [u, { scope: 'USER', group: null, ...this.#baseAssignmentTimes(seq, u) }]
        continue
      }
      const k = groupArrays.findIndex((arr) => has(arr, u))
      if (k === -1) continue
      yield [u, { scope: 'GROUP', group: app.groups[k] as number, ...this.#baseAssignmentTimes(seq, u) }]
    }
  }

  #baseAssignmentTimes(seq: number, u: number): { created: number; lastUpdated: number } {
    const created = this.#appUserBase.created + below(this.ctx.seed, u * 64 + seq, 401, 200 * 86_400_000)
    return { created, lastUpdated: created + below(this.ctx.seed, u * 64 + seq, 402, 80 * 86_400_000) }
  }

  appAssigneeIds(appId: string): string[] {
    const seq = this.#requireApp(appId)
    return [...this.appUsers(seq, -1)].map(([u]) => this.userId(u))
  }

  #requireApp(id: string): number {
    const seq = this.appSeq(id)
    if (seq === undefined) throw new Error(`unknown app ${id}`)
    return seq
  }

  createApp(label: string, signOnMode = 'BOOKMARK'): string {
    const now = this.clock.nowMs()
    const seq = this.#apps.length
    const template = APP_TEMPLATES.find((t) => t.signOnMode === signOnMode)
    const app = buildApp(this.ctx, seq, label, signOnMode, template?.name ?? `custom_${slug(label)}`, now)
    this.#apps.push(app)
    this.#appBySeq.set(app.id, seq)
    this.#directArrays()
    this.#log('application.lifecycle.create', [this.#appTarget(seq)])
    return app.id
  }

  deleteApp(id: string): void {
    const seq = this.#requireApp(id)
    const target = this.#appTarget(seq)
    ;(this.#apps[seq] as AppRecord).deleted = true
    this.#log('application.lifecycle.delete', [target])
  }

  #appOv(seq: number): { byUser: Map<number, AppAssignment | null>; keys: Int32Array } {
    let ov = this.#appOverlay.get(seq)
    if (!ov) {
      ov = { byUser: new Map(), keys: new Int32Array(0) }
      this.#appOverlay.set(seq, ov)
    }
    return ov
  }

  assignUser(appId: string, userId: string, scope: 'USER' | 'GROUP' = 'USER'): void {
    const seq = this.#requireApp(appId)
    const index = this.#requireUser(userId)
    const now = this.clock.nowMs()
    let group: number | null = null
    if (scope === 'GROUP') {
      const app = this.#apps[seq] as AppRecord
      const members = this.#memberArrays()
      group = app.groups.find((g) => has(members[g] as Int32Array, index))
        ?? this.#groups.find((g) => g.seq > 0 && !g.deleted && has(members[g.seq] as Int32Array, index))?.seq
        ?? 0
    }
    const ov = this.#appOv(seq)
    ov.byUser.set(index, { scope, group, created: now, lastUpdated: now })
    ov.keys = withValue(ov.keys, index)
    this.#log('application.user_membership.add', [this.#userTarget(index), this.#appTarget(seq)])
  }

  unassignUser(appId: string, userId: string): void {
    const seq = this.#requireApp(appId)
    const index = this.#requireUser(userId)
    const ov = this.#appOv(seq)
    ov.byUser.set(index, null)
    ov.keys = withValue(ov.keys, index)
    this.#log('application.user_membership.remove', [this.#userTarget(index), this.#appTarget(seq)])
  }

  // -------------------------------------------------------------------------------------------
  // Access graph: app ↔ group assignments, admin roles, factors, rules, schema (okta-api.md §8)

  assignGroupToApp(appId: string, groupId: string): void {
    const seq = this.#requireApp(appId)
    const g = this.#requireGroup(groupId)
    const app = this.#apps[seq] as AppRecord
    if (app.groups.includes(g)) return
    app.groups = [...app.groups, g]
    this.graph.touchAppGroup(seq, g, this.clock.nowMs())
    this.#log('group.application_assignment.add', [this.#appTarget(seq), this.#groupTarget(g)])
  }

  unassignGroupFromApp(appId: string, groupId: string): void {
    const seq = this.#requireApp(appId)
    const g = this.#requireGroup(groupId)
    const app = this.#apps[seq] as AppRecord
    if (!app.groups.includes(g)) return
    app.groups = app.groups.filter((s) => s !== g)
    this.#log('group.application_assignment.remove', [this.#appTarget(seq), this.#groupTarget(g)])
  }

  /** Direct role assignments of a user, as `/api/v1/users/{id}/roles` lists them (USER only). */
  userRoleAssignments(index: number): RoleAssignment[] {
    return this.graph.userRoles(index)
  }

  /** Whether user `index` is a member of group `seq` (Everyone holds every live user). */
  isMember(seq: number, index: number): boolean {
    if (seq === 0) return this.exists(index)
    return has(this.#memberArrays()[seq] as Int32Array, index)
  }

  /** Live groups holding at least one admin role. */
  adminGroups(): GroupRecord[] {
    return this.#groups.filter((g) => !g.deleted && g.admin && this.groupRoleAssignments(g.seq).length > 0)
  }

  /**
   * Users holding an admin role, directly or through a group, in ascending index after
   * `afterIndex` (what `/api/v1/iam/assignees/users` lists). Base direct holders are a formula;
   * group-held roles reach every member of the group (Everyone excepted).
   */
  *roleHolders(afterIndex: number): Generator<number> {
    const direct: number[] = []
    for (let i = 0; i < this.#baseUsers; i++) if (this.graph.hasDirectRole(i)) direct.push(i)
    const changed = [...this.graph.changedRoleUsers()].filter((i) => i >= this.#baseUsers).sort((a, b) => a - b)
    const members = this.#memberArrays()
    const groupArrays = this.adminGroups().filter((g) => g.seq !== 0).map((g) => members[g.seq] as Int32Array)
    for (const u of mergeUnique([direct, changed, ...groupArrays], afterIndex)) {
      if (!this.exists(u)) continue
      if (this.graph.hasDirectRole(u) || groupArrays.some((arr) => has(arr, u))) yield u
    }
  }

  /** Roles a group holds (a group's stats flag says whether it holds any). */
  groupRoleAssignments(seq: number): RoleAssignment[] {
    return this.graph.groupRoles(seq, (this.#groups[seq] as GroupRecord).admin)
  }

  grantUserRole(userId: string, type: string): string {
    const index = this.#requireUser(userId)
    const now = this.clock.nowMs()
    const role = this.#newRole(type, now, 'ra')
    this.graph.setUserRoles(index, [...this.graph.userRoles(index), role])
    this.#log('user.account.privilege.grant', [this.#userTarget(index)], { debugContext: { debugData: { privilegeGranted: role.label } } })
    return role.id
  }

  revokeUserRole(userId: string, roleId: string): void {
    const index = this.#requireUser(userId)
    const roles = this.graph.userRoles(index)
    const role = roles.find((r) => r.id === roleId)
    if (!role) throw new Error(`user ${userId} holds no role assignment ${roleId}`)
    this.graph.setUserRoles(index, roles.filter((r) => r !== role))
    this.#log('user.account.privilege.revoke', [this.#userTarget(index)], { debugContext: { debugData: { privilegeRevoked: role.label } } })
  }

  grantGroupRole(groupId: string, type: string): string {
    const seq = this.#requireGroup(groupId)
    const g = this.#groups[seq] as GroupRecord
    const now = this.clock.nowMs()
    const role = this.#newRole(type, now, 'gra')
    this.graph.setGroupRoles(seq, [...this.groupRoleAssignments(seq), role])
    g.admin = true
    this.#log('group.privilege.grant', [this.#groupTarget(seq)], { debugContext: { debugData: { privilegeGranted: role.label } } })
    return role.id
  }

  revokeGroupRole(groupId: string, roleId: string): void {
    const seq = this.#requireGroup(groupId)
    const g = this.#groups[seq] as GroupRecord
    const roles = this.groupRoleAssignments(seq)
    const role = roles.find((r) => r.id === roleId)
    if (!role) throw new Error(`group ${groupId} holds no role assignment ${roleId}`)
    const left = roles.filter((r) => r !== role)
    this.graph.setGroupRoles(seq, left)
    g.admin = left.length > 0
    this.#log('group.privilege.revoke', [this.#groupTarget(seq)], { debugContext: { debugData: { privilegeRevoked: role.label } } })
  }

  #newRole(type: string, now: number, prefix: string): RoleAssignment {
    if (type === 'CUSTOM') {
      return {
        id: this.graph.newId('irb'), type, label: 'UserCreatorRole', status: 'ACTIVE', created: now, lastUpdated: now,
        role: this.graph.newId('cr0'), resourceSet: this.graph.newId('iam'),
      }
    }
    const label = ROLE_LABELS[type]
    if (label === undefined) throw new Error(`unknown role type ${type}`)
    return { id: this.graph.newId(prefix), type, label, status: 'ACTIVE', created: now, lastUpdated: now }
  }

  /** A user's factors (`/api/v1/users/{id}/factors`). */
  userFactors(index: number): Factor[] {
    const o = this.#overlay.get(index)
    const login = o ? String(o.profile.login) : userNames(this.ctx, index).login
    const phone = o ? (o.profile.mobilePhone as string | null) ?? null : null
    return this.graph.factors(index, this.status(index), login, phone ?? (o ? null : this.#basePhone(index)))
  }

  #basePhone(index: number): string | null {
    const p = this.#materialize(index).profile.mobilePhone
    return typeof p === 'string' ? p : null
  }

  enrollFactor(userId: string, factorType: string): string {
    const index = this.#requireUser(userId)
    const now = this.clock.nowMs()
    const existing = this.userFactors(index)
    const o = this.user(index)
    const factor = this.graph.buildFactor(factorType, String(o?.profile.login), (o?.profile.mobilePhone as string | null) ?? null, now)
    this.graph.setFactors(index, [...existing, factor])
    this.#log('user.mfa.factor.activate', [this.#userTarget(index), this.#factorTarget(factor)])
    return factor.id
  }

  /** Unenrols one factor (Okta: DELETE /users/{id}/factors/{factorId}). */
  resetFactor(userId: string, factorId: string): void {
    const index = this.#requireUser(userId)
    const factors = this.userFactors(index)
    const factor = factors.find((f) => f.id === factorId)
    if (!factor) throw new Error(`user ${userId} has no factor ${factorId}`)
    this.graph.setFactors(index, factors.filter((f) => f !== factor))
    this.#log('user.mfa.factor.deactivate', [this.#userTarget(index), this.#factorTarget(factor)])
  }

  /** Resets every factor of a user (no per-factor target, like Okta's `user.mfa.factor.reset_all`). */
  resetAllFactors(userId: string): void {
    const index = this.#requireUser(userId)
    this.graph.setFactors(index, [])
    this.#log('user.mfa.factor.reset_all', [this.#userTarget(index)])
  }

  #factorTarget(f: Factor): Record<string, unknown> {
    return { id: f.id, type: 'AuthenticatorEnrollment', alternateId: f.factorType, displayName: f.factorType, detailEntry: null }
  }

  groupRules(): readonly GroupRule[] {
    return this.graph.rules()
  }

  createGroupRule(name: string, expression: string, groupIds: string[]): string {
    for (const id of groupIds) this.#requireGroup(id)
    const now = this.clock.nowMs()
    const rule: GroupRule = { id: this.graph.newId('0pr'), name, status: 'ACTIVE', created: now, lastUpdated: now, expression, groupIds, excludeUsers: [] }
    this.graph.rules().push(rule)
    return rule.id
  }

  /** Edits a rule (Okta logs no event for rule edits: the listing is the only source). */
  updateGroupRule(id: string, patch: Partial<Pick<GroupRule, 'name' | 'status' | 'expression' | 'groupIds' | 'excludeUsers'>>): void {
    const rule = this.graph.rules().find((r) => r.id === id)
    if (!rule) throw new Error(`unknown group rule ${id}`)
    Object.assign(rule, patch)
    rule.lastUpdated = this.clock.nowMs()
  }

  deleteGroupRule(id: string): void {
    const rules = this.graph.rules()
    const at = rules.findIndex((r) => r.id === id)
    if (at === -1) throw new Error(`unknown group rule ${id}`)
    rules.splice(at, 1)
  }

  /** Declares a custom profile attribute in the user schema (no user holds a value yet). */
  declareCustomAttribute(name: string, attr: Pick<SchemaAttribute, 'type'> & Partial<SchemaAttribute>): void {
    this.graph.declareCustomAttribute(name, { title: name, mutability: 'READ_WRITE', scope: 'NONE', ...attr }, this.clock.nowMs())
  }

  /**
   * Removes a custom attribute from the profile schema and its values from every user (Okta: a
   * schema update setting the property to null; base attributes cannot be removed). Users'
   * `lastUpdated` stays: no listing by `lastUpdated` shows the change. The attributes every
   * generated user holds (startDate, employeeLevel…) are part of the generator and cannot go.
   */
  removeCustomAttribute(name: string): void {
    if (this.graph.schema().base.has(name)) throw new Error(`${name} is a base attribute: Okta cannot remove it`)
    if (GENERATED_CUSTOM_ATTRIBUTES.has(name)) throw new Error(`${name} is held by every generated user: the simulator cannot remove it`)
    if (!this.graph.removeCustomAttribute(name, this.clock.nowMs())) throw new Error(`no custom attribute ${name} in the user schema`)
    const layer = this.#layers.findIndex((l) => l.name === name)
    if (layer !== -1) this.#layers.splice(layer, 1)
    for (const rec of this.#overlay.values()) delete rec.profile[name]
  }

  /** Creates a user type (Okta logs no System Log event for type edits); returns its id (`oty…`). */
  createUserType(name: string, displayName: string, description = ''): string {
    return this.graph.addType(name, displayName, description, this.clock.nowMs()).id
  }

  updateUserType(id: string, patch: Partial<{ displayName: string; description: string }>): void {
    this.graph.updateType(id, patch, this.clock.nowMs())
  }

  deleteUserType(id: string): void {
    this.graph.removeType(id)
  }

  // -------------------------------------------------------------------------------------------
  // System Log

  emitLogEvent(event: Partial<Record<string, unknown>> & { eventType: string }, opts: { published?: Date } = {}): string {
    const now = this.clock.nowMs()
    const admin = this.#baseUsers > 0 ? this.#userRef(0) : { id: '00uadmin000000000000', alternateId: 'admin@example.com', displayName: 'Org Admin' }
    return this.logs.emit(event, now, opts.published?.getTime() ?? now, actorOf(admin))
  }

  /** App-user profile and credentials for listing, without building the whole Okta user. */
  appUserNames(index: number): { login: string; firstName: string; lastName: string; email: string } {
    const o = this.#overlay.get(index)
    if (o) {
      const p = o.profile
      return { login: String(p.login), firstName: String(p.firstName), lastName: String(p.lastName), email: String(p.email) }
    }
    const { login, displayName } = userNames(this.ctx, index)
    const space = displayName.indexOf(' ')
    return { login, firstName: displayName.slice(0, space), lastName: displayName.slice(space + 1), email: login }
  }

  externalIdFor(appSeq: number, index: number): string {
    return `005${hex(this.ctx.seed, index * 64 + appSeq, 403, 15)}`
  }
}
