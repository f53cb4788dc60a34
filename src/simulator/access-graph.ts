/**
 * The org's access graph beyond users, groups and apps (okta-api.md §8): admin role assignments of
 * users and groups, MFA factors, group rules, user types and the user profile schema. Base data is
 * a pure function of (seed, index) like the rest of the org, so a million-user org still costs
 * nothing until a page asks; runtime changes live in small overlays. No HTTP and no System Log
 * here: the OrgStore logs the events of each change.
 */
import { FIRST_ADMIN_GROUP, type GenContext } from './org-generator.ts'
import { below, hex, unit } from './random.ts'
import type { UserStatus } from './types.ts'

const DAY = 86_400_000

// Salts for the generated fields of this file (far from org-generator's).
const S = { role: 600, factorN: 610, factorType: 611, factorId: 612, factorTime: 613, factorStatus: 614, rule: 620 }

export interface RoleAssignment {
  id: string
  type: string
  label: string
  status: 'ACTIVE' | 'INACTIVE'
  created: number
  lastUpdated: number
  /** CUSTOM roles: the role (`cr0…`) and the resource set (`iam…`) they are bound to. */
  role?: string
  resourceSet?: string
}

export interface Factor {
  id: string
  factorType: string
  provider: string
  vendorName: string
  status: string
  created: number
  lastUpdated: number
  profile: Record<string, unknown>
}

export interface GroupRule {
  id: string
  name: string
  status: 'ACTIVE' | 'INACTIVE' | 'INVALID'
  created: number
  lastUpdated: number
  expression: string
  groupIds: string[]
  excludeUsers: string[]
}

export interface UserType {
  id: string
  name: string
  displayName: string
  description: string
  default: boolean
  created: number
  lastUpdated: number
}

/** One attribute of the user profile schema (`definitions.base|custom.properties[name]`). */
export interface SchemaAttribute {
  title: string
  type: 'string' | 'boolean' | 'number' | 'integer' | 'array'
  items?: { type: string }
  required?: boolean
  enum?: unknown[]
  format?: string
  mutability: 'READ_WRITE' | 'READ_ONLY' | 'IMMUTABLE'
  scope: 'NONE' | 'SELF'
  unique?: string
}

/** Standard role types with the label Okta shows. */
export const ROLE_LABELS: Readonly<Record<string, string>> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organizational Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read Only Administrator',
  REPORT_ADMIN: 'Report Administrator',
  GROUP_MEMBERSHIP_ADMIN: 'Group Membership Administrator',
  API_ACCESS_MANAGEMENT_ADMIN: 'API Access Management Administrator',
  WORKFLOWS_ADMIN: 'Workflows Administrator',
}

/** The custom role of the org (bound to one resource set) that group 1 holds. */
const CUSTOM_ROLE = { label: 'UserCreatorRole' }

const FACTOR_KINDS: readonly { factorType: string; provider: string; prefix: string; profile: (login: string, phone: string, k: number) => Record<string, unknown> }[] = [
  { factorType: 'push', provider: 'OKTA', prefix: 'opf', profile: (login, _p, k) => ({ credentialId: login, deviceType: 'SmartPhone_IPhone', name: `iPhone ${12 + k}`, platform: 'IOS', version: '17.4' }) },
  { factorType: 'token:software:totp', provider: 'GOOGLE', prefix: 'uft', profile: (login) => ({ credentialId: login }) },
  { factorType: 'sms', provider: 'OKTA', prefix: 'sms', profile: (_l, phone) => ({ phoneNumber: phone }) },
  { factorType: 'webauthn', provider: 'FIDO', prefix: 'fwf', profile: (_l, _p, k) => ({ authenticatorName: k % 2 === 0 ? 'YubiKey 5' : 'Touch ID', credentialId: `cred-${k}` }) },
  { factorType: 'email', provider: 'OKTA', prefix: 'emf', profile: (login) => ({ email: login }) },
  { factorType: 'question', provider: 'OKTA', prefix: 'ufs', profile: () => ({ question: 'favorite_sports_player', questionText: 'Who is your favorite sports player?' }) },
]

/** Phishing-resistant factor types (for the README's example queries and tests). */
export const FACTOR_TYPES = FACTOR_KINDS.map((k) => k.factorType)

export class AccessGraph {
  readonly #ctx: GenContext
  /** Users whose roles changed at runtime (index → current assignments). */
  readonly #userRoles = new Map<number, RoleAssignment[]>()
  /** Groups whose roles changed at runtime (seq → current assignments). */
  readonly #groupRoles = new Map<number, RoleAssignment[]>()
  readonly #factors = new Map<number, Factor[]>()
  readonly #rules: GroupRule[]
  readonly #types: UserType[]
  readonly #schema: { base: Map<string, SchemaAttribute>; custom: Map<string, SchemaAttribute>; lastUpdated: number }
  /** `${appSeq}:${groupSeq}` → when that app-group assignment was created or changed. */
  readonly #appGroupUpdated = new Map<string, number>()
  #serial = 0

  constructor(ctx: GenContext, groupIdOf: (seq: number) => string | undefined) {
    this.#ctx = ctx
    this.#rules = generateRules(ctx, groupIdOf)
    this.#types = generateTypes(ctx)
    this.#schema = { base: baseSchema(), custom: customSchema(), lastUpdated: ctx.start - 200 * DAY }
  }

  /** A fresh opaque id with Okta's prefix for runtime-created objects. */
  newId(prefix: string): string {
    this.#serial++
    return `${prefix}${hex(this.#ctx.seed, this.#serial, 699, 20 - prefix.length)}`
  }

  // ------------------------------------------------------------------ roles

  /** Direct (USER) role assignments of a user. */
  userRoles(index: number): RoleAssignment[] {
    return this.#userRoles.get(index) ?? baseUserRoles(this.#ctx, index)
  }

  setUserRoles(index: number, roles: RoleAssignment[]): void {
    this.#userRoles.set(index, roles)
  }

  /** Whether a user holds a direct role (cheap for base users: a formula, no allocation). */
  hasDirectRole(index: number): boolean {
    const changed = this.#userRoles.get(index)
    if (changed) return changed.length > 0
    return index >= 0 && index < this.#ctx.size.users && baseRoleType(index) !== undefined
  }

  /** Users whose direct roles changed at runtime (they may hold none now). */
  changedRoleUsers(): Iterable<number> {
    return this.#userRoles.keys()
  }

  groupRoles(seq: number, admin: boolean): RoleAssignment[] {
    return this.#groupRoles.get(seq) ?? (admin ? baseGroupRoles(this.#ctx, seq) : [])
  }

  setGroupRoles(seq: number, roles: RoleAssignment[]): void {
    this.#groupRoles.set(seq, roles)
  }

  // ------------------------------------------------------------------ factors

  factors(index: number, status: UserStatus, login: string, phone: string | null): Factor[] {
    return this.#factors.get(index) ?? baseFactors(this.#ctx, index, status, login, phone)
  }

  setFactors(index: number, factors: Factor[]): void {
    this.#factors.set(index, factors)
  }

  /** A new factor of `factorType` for a user (ACTIVE), shaped like the generated ones. */
  buildFactor(factorType: string, login: string, phone: string | null, now: number): Factor {
    const kind = FACTOR_KINDS.find((k) => k.factorType === factorType)
    if (!kind) throw new Error(`unknown factor type ${factorType} (one of ${FACTOR_TYPES.join(', ')})`)
    return {
      id: this.newId(kind.prefix),
      factorType,
      provider: kind.provider,
      vendorName: kind.provider,
      status: 'ACTIVE',
      created: now,
      lastUpdated: now,
      profile: kind.profile(login, phone ?? '+1-555-0100', this.#serial),
    }
  }

  // ------------------------------------------------------------------ rules, types, schema

  rules(): GroupRule[] {
    return this.#rules
  }

  types(): UserType[] {
    return this.#types
  }

  schema(): { base: ReadonlyMap<string, SchemaAttribute>; custom: ReadonlyMap<string, SchemaAttribute>; lastUpdated: number } {
    return this.#schema
  }

  declareCustomAttribute(name: string, attr: SchemaAttribute, now: number): void {
    this.#schema.custom.set(name, attr)
    this.#schema.lastUpdated = now
  }

  /** Drops a custom attribute from the schema; false when none was declared. */
  removeCustomAttribute(name: string, now: number): boolean {
    if (!this.#schema.custom.delete(name)) return false
    this.#schema.lastUpdated = now
    return true
  }

  /** A new, non-default user type (`oty…`). */
  addType(name: string, displayName: string, description: string, now: number): UserType {
    if (this.#types.some((t) => t.name === name)) throw new Error(`a user type named ${name} exists`)
    const type: UserType = { id: this.newId('oty'), name, displayName, description, default: false, created: now, lastUpdated: now }
    this.#types.push(type)
    return type
  }

  updateType(id: string, patch: Partial<Pick<UserType, 'displayName' | 'description'>>, now: number): void {
    const type = this.#types.find((t) => t.id === id)
    if (!type) throw new Error(`unknown user type ${id}`)
    Object.assign(type, patch)
    type.lastUpdated = now
  }

  /** Okta refuses to delete the default type (every generated user has it). */
  removeType(id: string): void {
    const at = this.#types.findIndex((t) => t.id === id)
    if (at === -1) throw new Error(`unknown user type ${id}`)
    if (this.#types[at]!.default) throw new Error(`user type ${id} is the default type: Okta refuses to delete it`)
    this.#types.splice(at, 1)
  }

  // ------------------------------------------------------------------ app ↔ group

  appGroupUpdated(appSeq: number, groupSeq: number, fallback: number): number {
    return this.#appGroupUpdated.get(`${appSeq}:${groupSeq}`) ?? fallback
  }

  touchAppGroup(appSeq: number, groupSeq: number, now: number): void {
    this.#appGroupUpdated.set(`${appSeq}:${groupSeq}`, now)
  }
}

function baseRoleType(index: number): string | undefined {
  return index === 0 ? 'SUPER_ADMIN' : index % 500 === 7 ? 'READ_ONLY_ADMIN' : index % 1000 === 13 ? 'HELP_DESK_ADMIN' : undefined
}

/** Direct admin roles of base users: user 0 is the super admin, a few others hold narrower roles. */
function baseUserRoles(ctx: GenContext, index: number): RoleAssignment[] {
  if (index < 0 || index >= ctx.size.users) return []
  const type = baseRoleType(index)
  if (type === undefined) return []
  const created = ctx.start - (100 + below(ctx.seed, index, S.role, 200)) * DAY
  return [{ id: `ra${hex(ctx.seed, index, S.role + 1, 18)}`, type, label: ROLE_LABELS[type] ?? type, status: 'ACTIVE', created, lastUpdated: created }]
}

/** Roles of the generated admin groups: USER_ADMIN; the first one also holds the org's custom role. */
function baseGroupRoles(ctx: GenContext, seq: number): RoleAssignment[] {
  const created = ctx.start - (150 + below(ctx.seed, seq, S.role + 2, 100)) * DAY
  const roles: RoleAssignment[] = [
    { id: `gra${hex(ctx.seed, seq, S.role + 3, 17)}`, type: 'USER_ADMIN', label: ROLE_LABELS.USER_ADMIN as string, status: 'ACTIVE', created, lastUpdated: created },
  ]
  if (seq === FIRST_ADMIN_GROUP) {
    roles.push({
      id: `irb${hex(ctx.seed, seq, S.role + 4, 17)}`, type: 'CUSTOM', label: CUSTOM_ROLE.label, status: 'ACTIVE', created, lastUpdated: created,
      role: `cr0${hex(ctx.seed, 0, S.role + 5, 17)}`, resourceSet: `iam${hex(ctx.seed, 0, S.role + 6, 17)}`,
    })
  }
  return roles
}

/** 0–3 factors per user that can sign in; none for STAGED / PROVISIONED users. */
function baseFactors(ctx: GenContext, index: number, status: UserStatus, login: string, phone: string | null): Factor[] {
  if (index < 0 || index >= ctx.size.users || status === 'STAGED' || status === 'PROVISIONED') return []
  const seed = ctx.seed
  const count = [0, 1, 1, 2, 2, 3][below(seed, index, S.factorN, 6)] as number
  const out: Factor[] = []
  for (let k = 0; k < count; k++) {
    const kind = FACTOR_KINDS[below(seed, index * 4 + k, S.factorType, FACTOR_KINDS.length)]!
    if (kind.factorType === 'sms' && phone === null) continue
    if (out.some((f) => f.factorType === kind.factorType)) continue
    const created = ctx.start - (5 + below(seed, index * 4 + k, S.factorTime, 300)) * DAY
    const pending = unit(seed, index * 4 + k, S.factorStatus) < 0.05
    out.push({
      id: `${kind.prefix}${hex(seed, index * 4 + k, S.factorId, 17)}`,
      factorType: kind.factorType,
      provider: kind.provider,
      vendorName: kind.provider,
      status: pending ? 'PENDING_ACTIVATION' : 'ACTIVE',
      created,
      lastUpdated: created + below(seed, index * 4 + k, S.factorTime + 1, 3 * DAY),
      profile: kind.profile(login, phone ?? '', k),
    })
  }
  return out
}

function generateRules(ctx: GenContext, groupIdOf: (seq: number) => string | undefined): GroupRule[] {
  const depts = ['Engineering', 'Sales', 'Finance', 'Marketing', 'Support']
  const rules: GroupRule[] = []
  for (let r = 0; r < depts.length; r++) {
    const target = groupIdOf(2 + r * 3)
    if (target === undefined) continue
    const created = ctx.start - (60 + below(ctx.seed, r, S.rule, 200)) * DAY
    rules.push({
      id: `0pr${hex(ctx.seed, r, S.rule + 1, 17)}`,
      name: `${depts[r]} department rule`,
      status: r === 4 ? 'INACTIVE' : 'ACTIVE',
      created,
      lastUpdated: created + below(ctx.seed, r, S.rule + 2, 30) * DAY,
      expression: `user.department=="${depts[r]}"`,
      groupIds: [target],
      excludeUsers: r === 0 && ctx.size.users > 1 ? [ctx.userIds.encode(1)] : [],
    })
  }
  return rules
}

function generateTypes(ctx: GenContext): UserType[] {
  const created = ctx.start - 400 * DAY
  return [
    { id: ctx.userTypeId, name: 'user', displayName: 'User', description: 'Okta user profile template with default permission settings', default: true, created, lastUpdated: created },
    { id: `oty${hex(ctx.seed, 1, S.rule + 3, 17)}`, name: 'contractor', displayName: 'Contractor', description: 'External contractors', default: false, created: created + 30 * DAY, lastUpdated: created + 90 * DAY },
  ]
}

const rw = (title: string, type: SchemaAttribute['type'], extra: Partial<SchemaAttribute> = {}): SchemaAttribute =>
  ({ title, type, mutability: 'READ_WRITE', scope: 'NONE', ...extra })

/** Okta's base profile attributes (the ones the generated users carry). */
function baseSchema(): Map<string, SchemaAttribute> {
  return new Map<string, SchemaAttribute>([
    ['login', rw('Username', 'string', { required: true, unique: 'UNIQUE_VALIDATED' })],
    ['firstName', rw('First name', 'string', { required: true })],
    ['lastName', rw('Last name', 'string', { required: true })],
    ['nickName', rw('Nickname', 'string')],
    ['displayName', rw('Display name', 'string')],
    ['email', rw('Primary email', 'string', { required: true, format: 'email' })],
    ['secondEmail', rw('Secondary email', 'string', { format: 'email' })],
    ['profileUrl', rw('Profile Url', 'string', { format: 'uri' })],
    ['preferredLanguage', rw('Preferred language', 'string', { format: 'language-code' })],
    ['userType', rw('User type', 'string')],
    ['organization', rw('Organization', 'string')],
    ['title', rw('Title', 'string')],
    ['division', rw('Division', 'string')],
    ['department', rw('Department', 'string')],
    ['costCenter', rw('Cost center', 'string')],
    ['employeeNumber', rw('Employee number', 'string')],
    ['mobilePhone', rw('Mobile phone', 'string')],
    ['primaryPhone', rw('Primary phone', 'string')],
    ['streetAddress', rw('Street address', 'string')],
    ['city', rw('City', 'string')],
    ['state', rw('State', 'string')],
    ['zipCode', rw('Zip code', 'string')],
    ['countryCode', rw('Country code', 'string', { format: 'country-code' })],
    ['managerId', rw('ManagerId', 'string')],
    ['manager', rw('Manager', 'string')],
  ])
}

/**
 * The generated users' custom attributes, plus `badgeNumber` and `clearanceLevel`, declared but held
 * by no user: the schema types columns before any value exists.
 */
function customSchema(): Map<string, SchemaAttribute> {
  return new Map<string, SchemaAttribute>([
    ['startDate', rw('Start date', 'string')],
    ['employeeLevel', rw('Employee level', 'integer')],
    ['hourlyRate', rw('Hourly rate', 'number')],
    ['isContractor', rw('Contractor', 'boolean')],
    ['entitlements', rw('Entitlements', 'array', { items: { type: 'string' } })],
    ['githubUsername', rw('GitHub username', 'string', { unique: 'UNIQUE_VALIDATED' })],
    ['badgeNumber', rw('Badge Number', 'string')],
    ['clearanceLevel', rw('Clearance level', 'integer')],
  ])
}
