/**
 * The deterministic org: every base object is a pure function of (seed, size, start, index), so a
 * million-user org costs nothing until a page asks for it. Base users are generated with
 * strictly increasing `lastUpdated` by index, which makes the lastUpdated order the index order.
 */
import { IdCodec } from './ids.ts'
import {
  APP_TEMPLATES, CITIES, DEPARTMENTS, ENTITLEMENTS, FIRST_NAMES, GROUP_SUFFIXES, LANGUAGES, LAST_NAMES,
  RECOVERY_QUESTIONS, TITLES,
} from './names.ts'
import { below, hash, hex, pick, unit } from './random.ts'
import type { OrgSize, UserStatus } from './types.ts'

export const DAY = 86_400_000
const YEAR = 365 * DAY

export const USER_STATUSES: readonly UserStatus[] = [
  'STAGED', 'PROVISIONED', 'ACTIVE', 'RECOVERY', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'SUSPENDED', 'DEPROVISIONED',
]

/** Defaults scale with the user count so `{ users: n }` alone gives a plausible org. */
export function resolveSize(partial: Partial<OrgSize> = {}): OrgSize {
  const users = Math.max(0, Math.floor(partial.users ?? 1000))
  return {
    users,
    groups: Math.max(2, Math.floor(partial.groups ?? Math.min(2000, Math.max(6, Math.round(users / 25))))),
    membershipsPerUser: partial.membershipsPerUser ?? 3,
    apps: Math.max(0, Math.floor(partial.apps ?? Math.min(60, Math.max(8, Math.round(users / 100))))),
    assignmentsPerUser: partial.assignmentsPerUser ?? 2,
    logEvents: Math.max(0, Math.floor(partial.logEvents ?? Math.min(200_000, users * 5))),
    logDays: partial.logDays ?? 30,
  }
}

export interface GenContext {
  readonly seed: number
  readonly size: OrgSize
  /** Org clock at startup (ms): every base timestamp lies before it. */
  readonly start: number
  readonly userIds: IdCodec
  readonly groupIds: IdCodec
  readonly appIds: IdCodec
  readonly userTypeId: string
  readonly domain: string
}

export function createContext(seed: number, size: OrgSize, start: number): GenContext {
  return {
    seed,
    size,
    start,
    userIds: new IdCodec('00u', seed),
    groupIds: new IdCodec('00g', seed),
    appIds: new IdCodec('0oa', seed),
    userTypeId: new IdCodec('oty', seed).encode(0),
    domain: 'example.com',
  }
}

// Salts: one per generated field, so fields vary independently.
const S = {
  status: 1, created: 2, updated: 3, first: 4, last: 5, dept: 6, title: 7, city: 8, lang: 9, level: 10, rate: 11,
  contractor: 12, ent: 13, entN: 14, nick: 15, second: 16, phone: 17, manager: 18, login: 19, provider: 20, question: 21,
  activated: 22, groupsN: 23, groupPick: 24, appsN: 25, appPick: 26, appGroups: 27, appGroupPick: 28, gtime: 29,
  atime: 30, appStatus: 31, github: 32, mobile: 33,
} as const

function statusOf(seed: number, i: number): UserStatus {
  // The first eight users cover every status, so even a tiny org has one of each.
  if (i < 8) return USER_STATUSES[(i + 2) % 8] as UserStatus
  const r = unit(seed, i, S.status)
  if (r < 0.82) return 'ACTIVE'
  if (r < 0.85) return 'STAGED'
  if (r < 0.87) return 'PROVISIONED'
  if (r < 0.88) return 'RECOVERY'
  if (r < 0.895) return 'LOCKED_OUT'
  if (r < 0.91) return 'PASSWORD_EXPIRED'
  if (r < 0.94) return 'SUSPENDED'
  return 'DEPROVISIONED'
}

/** Monotone timeline: value strictly increasing with i across [from, from + span). */
function spread(seed: number, i: number, n: number, from: number, span: number, salt: number): number {
  const step = span / Math.max(1, n)
  const jitterRange = Math.max(1, Math.floor(step) - 1)
  return from + Math.floor(i * step) + (hash(seed, i, salt) % jitterRange)
}

export function baseStatus(ctx: GenContext, i: number): UserStatus {
  return statusOf(ctx.seed, i)
}

export function baseCreated(ctx: GenContext, i: number): number {
  return spread(ctx.seed, i, ctx.size.users, ctx.start - 4 * YEAR, 3 * YEAR, S.created)
}

export function baseLastUpdated(ctx: GenContext, i: number): number {
  return spread(ctx.seed, i, ctx.size.users, ctx.start - YEAR, YEAR - 60_000, S.updated)
}

export interface UserRecord {
  index: number
  id: string
  status: UserStatus
  created: number
  activated: number | null
  statusChanged: number | null
  lastLogin: number | null
  lastUpdated: number
  passwordChanged: number | null
  profile: Record<string, unknown>
  provider: { type: string; name: string }
  recoveryQuestion: string | null
  deleted?: boolean
}

const slugs = new Map<string, string>()

/** `José` → `jose` (memoized: names come from small word lists and this runs per generated user). */
export function slug(s: string): string {
  let out = slugs.get(s)
  if (out === undefined) {
    out = s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '')
    if (slugs.size < 10_000) slugs.set(s, out)
  }
  return out
}

/** Base users' logins embed their index, which lets a login lookup skip a scan. */
export function indexFromLogin(login: string): number | undefined {
  const m = /\.(\d+)@/.exec(login)
  return m ? Number(m[1]) : undefined
}

function personName(seed: number, i: number): [string, string] {
  return [pick(FIRST_NAMES, seed, i, S.first), pick(LAST_NAMES, seed, i, S.last)]
}

/** The custom attributes generated users carry (their values are formulas, see `generateUser`). */
export const GENERATED_CUSTOM_ATTRIBUTES: ReadonlySet<string> = new Set(['startDate', 'employeeLevel', 'hourlyRate', 'isContractor', 'entitlements', 'githubUsername'])

export function generateUser(ctx: GenContext, i: number): UserRecord {
  const seed = ctx.seed
  const status = statusOf(seed, i)
  const created = baseCreated(ctx, i)
  const lastUpdated = baseLastUpdated(ctx, i)
  const [first, last] = personName(seed, i)
  const login = `${slug(first)}.${slug(last)}.${i}@${ctx.domain}`
  const dept = pick(DEPARTMENTS, seed, i, S.dept)
  const [city, state, country, zip] = pick(CITIES, seed, i, S.city)
  const staged = status === 'STAGED'
  const activated = staged ? null : created + 60_000 + below(seed, i, S.activated, DAY)
  const hasPassword = !staged && status !== 'PROVISIONED'
  const lastLogin = hasPassword && status !== 'DEPROVISIONED'
    ? lastUpdated - below(seed, i, S.activated + 100, 30 * DAY) : null
  const managerIndex = i > 0 ? below(seed, i, S.manager, i) : -1
  const [mFirst, mLast] = managerIndex >= 0 ? personName(seed, managerIndex) : ['', '']
  let rate = Math.round((18 + unit(seed, i, S.rate) * 140) * 100) / 100
  if (Number.isInteger(rate)) rate += 0.25
  const entCount = below(seed, i, S.entN, 4)
  const entitlements: string[] = []
  for (let k = 0; k < entCount; k++) {
    const e = pick(ENTITLEMENTS, seed, i * 4 + k, S.ent)
    if (!entitlements.includes(e)) entitlements.push(e)
  }
  const profile: Record<string, unknown> = {
    login,
    firstName: first,
    lastName: last,
    nickName: unit(seed, i, S.nick) < 0.5 ? null : first.slice(0, 3),
    displayName: `${first} ${last}`,
    email: login,
    secondEmail: unit(seed, i, S.second) < 0.6 ? null : `${slug(first)}${i}@personal.example.org`,
    profileUrl: null,
    preferredLanguage: pick(LANGUAGES, seed, i, S.lang),
    userType: 'Employee',
    organization: 'Acme',
    title: `${pick(TITLES, seed, i, S.title)}`,
    division: dept === 'Engineering' || dept === 'Product' || dept === 'Design' ? 'R&D' : 'G&A',
    department: dept,
    costCenter: String(10 + DEPARTMENTS.indexOf(dept)),
    employeeNumber: String(100000 + i),
    mobilePhone: unit(seed, i, S.mobile) < 0.3 ? null : `+1-555-${String(hash(seed, i, S.phone) % 10000000).padStart(7, '0')}`,
    primaryPhone: null,
    streetAddress: `${1 + (hash(seed, i, S.city) % 900)} Main St.`,
    city,
    state,
    zipCode: zip,
    countryCode: country,
    managerId: managerIndex >= 0 ? ctx.userIds.encode(managerIndex) : null,
    manager: managerIndex >= 0 ? `${mFirst} ${mLast}` : null,
    startDate: new Date(created).toISOString().slice(0, 10),
    // Custom attributes: one of each JSON type (objects are not allowed in Okta profiles).
    employeeLevel: 1 + below(seed, i, S.level, 10),
    hourlyRate: rate,
    isContractor: unit(seed, i, S.contractor) < 0.15,
    entitlements,
  }
  if (dept === 'Engineering') profile.githubUsername = `${slug(first)}-${hex(seed, i, S.github, 4)}`
  const ad = unit(seed, i, S.provider) < 0.1
  return {
    index: i,
    id: ctx.userIds.encode(i),
    status,
    created,
    activated,
    statusChanged: activated === null ? null : status === 'ACTIVE' ? activated : lastUpdated,
    lastLogin,
    lastUpdated,
    passwordChanged: hasPassword && !ad ? (activated as number) + 3_600_000 : null,
    profile,
    provider: ad ? { type: 'ACTIVE_DIRECTORY', name: 'corp.example.com' } : { type: 'OKTA', name: 'OKTA' },
    recoveryQuestion: ad ? null : pick(RECOVERY_QUESTIONS, seed, i, S.question),
  }
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

/** The user as `/api/v1/users` returns it. Single GETs carry lifecycle links too. */
export function userJson(rec: UserRecord, base: string, typeId: string, single = false): Record<string, unknown> {
  const self = `${base}/api/v1/users/${rec.id}`
  const credentials: Record<string, unknown> = {}
  if (rec.provider.type === 'OKTA' && rec.passwordChanged !== null) credentials.password = {}
  if (rec.recoveryQuestion !== null) credentials.recovery_question = { question: rec.recoveryQuestion }
  credentials.provider = rec.provider
  const links: Record<string, unknown> = { self: { href: self } }
  if (single) {
    links.type = { href: `${base}/api/v1/meta/types/user/${typeId}` }
    links.schema = { href: `${base}/api/v1/meta/schemas/user/${typeId}` }
    if (rec.status === 'DEPROVISIONED') {
      links.activate = { href: `${self}/lifecycle/activate`, method: 'POST' }
    } else {
      links.deactivate = { href: `${self}/lifecycle/deactivate`, method: 'POST' }
      if (rec.status === 'ACTIVE') links.suspend = { href: `${self}/lifecycle/suspend`, method: 'POST' }
      if (rec.status === 'SUSPENDED') links.unsuspend = { href: `${self}/lifecycle/unsuspend`, method: 'POST' }
      links.resetPassword = { href: `${self}/lifecycle/reset_password`, method: 'POST' }
    }
  }
  return {
    id: rec.id,
    status: rec.status,
    created: iso(rec.created),
    activated: iso(rec.activated),
    statusChanged: iso(rec.statusChanged),
    lastLogin: iso(rec.lastLogin),
    lastUpdated: iso(rec.lastUpdated),
    passwordChanged: iso(rec.passwordChanged),
    type: { id: typeId },
    profile: rec.profile,
    credentials,
    _links: links,
  }
}

// ---------------------------------------------------------------------------------------------
// Groups

export type GroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN'

export interface GroupRecord {
  seq: number
  id: string
  type: GroupType
  created: number
  lastUpdated: number
  lastMembershipUpdated: number
  objectClass: string[]
  profile: Record<string, unknown>
  /** APP_GROUP only: the app (seq) the group is imported from. */
  sourceApp: number | null
  admin: boolean
  deleted: boolean
}

/**
 * Groups holding admin roles (the stats flag): one in 97, from group 30 on. Not group 1: the
 * membership skew makes the first groups the largest, and admin groups are small in real orgs.
 */
export const FIRST_ADMIN_GROUP = 30
export function isAdminGroup(g: number): boolean {
  return g % 97 === FIRST_ADMIN_GROUP
}

export function generateGroups(ctx: GenContext): GroupRecord[] {
  const { seed, start } = ctx
  const n = ctx.size.groups
  const groups: GroupRecord[] = []
  const orgCreated = ctx.start - 4 * YEAR - DAY
  const lastUserCreated = ctx.size.users > 0 ? baseCreated(ctx, ctx.size.users - 1) : orgCreated
  groups.push({
    seq: 0,
    id: ctx.groupIds.encode(0),
    type: 'BUILT_IN',
    created: orgCreated,
    lastUpdated: orgCreated,
    lastMembershipUpdated: lastUserCreated,
    objectClass: ['okta:user_group'],
    profile: { name: 'Everyone', description: 'All users in your organization' },
    sourceApp: null,
    admin: false,
    deleted: false,
  })
  for (let g = 1; g < n; g++) {
    const created = spread(seed, g, n, start - 3 * YEAR, 2 * YEAR, S.gtime)
    const lastUpdated = created + below(seed, g, S.gtime + 1, 150 * DAY)
    const lastMembershipUpdated = Math.max(lastUpdated, start - below(seed, g, S.gtime + 2, 60 * DAY) - 3_600_000)
    const appGroup = g % 5 === 4 && ctx.size.apps > 0
    const dept = pick(DEPARTMENTS, seed, g, S.dept + 50)
    const name = `${dept} ${pick(GROUP_SUFFIXES, seed, g, S.title + 50)} ${g}`
    const rec: GroupRecord = {
      seq: g,
      id: ctx.groupIds.encode(g),
      type: appGroup ? 'APP_GROUP' : 'OKTA_GROUP',
      created,
      lastUpdated,
      lastMembershipUpdated,
      objectClass: appGroup ? ['okta:windows_security_principal'] : ['okta:user_group'],
      profile: appGroup
        ? {
            name,
            description: `${dept} (imported from Active Directory)`,
            samAccountName: slug(name).slice(0, 20),
            dn: `CN=${name},OU=Groups,DC=corp,DC=example,DC=com`,
            windowsDomainQualifiedName: `CORP\\${slug(name).slice(0, 20)}`,
            externalId: hex(seed, g, S.gtime + 3, 24),
            groupType: 'Security',
            groupScope: 'Global',
            objectSid: `S-1-5-21-${hash(seed, g, 90)}-${hash(seed, g, 91)}-${1000 + g}`,
          }
        : { name, description: unit(seed, g, S.gtime + 4) < 0.2 ? null : `Members of ${name}` },
      sourceApp: appGroup ? below(seed, g, S.gtime + 5, ctx.size.apps) : null,
      admin: isAdminGroup(g),
      deleted: false,
    }
    groups.push(rec)
  }
  return groups
}

/**
 * Group memberships as sorted user-index arrays (group 0, Everyone, is virtual and left empty).
 * Group picks are skewed (r²) toward low group numbers, so a few groups are big and most are small.
 */
export function generateMemberships(ctx: GenContext): Int32Array[] {
  const n = ctx.size.groups
  const counts = new Int32Array(n)
  const picks: number[] = []
  const forEachPick = (visit: (g: number, u: number) => void): void => {
    for (let u = 0; u < ctx.size.users; u++) {
      const k = Math.floor(unit(ctx.seed, u, S.groupsN) * 2 * ctx.size.membershipsPerUser + 0.5)
      picks.length = 0
      for (let j = 0; j < k; j++) {
        const r = unit(ctx.seed, u * 16 + j, S.groupPick)
        const g = 1 + Math.floor((n - 1) * r * r)
        if (!picks.includes(g)) {
          picks.push(g)
          visit(g, u)
        }
      }
    }
  }
  if (n > 1) forEachPick((g) => { counts[g] = (counts[g] ?? 0) + 1 })
  const out = Array.from({ length: n }, (_, g) => new Int32Array(counts[g] ?? 0))
  const fill = new Int32Array(n)
  if (n > 1) forEachPick((g, u) => {
    const arr = out[g] as Int32Array
    arr[fill[g] as number] = u
    fill[g] = (fill[g] ?? 0) + 1
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// Apps

export interface AppRecord {
  seq: number
  id: string
  /** Everything but `_links` (those depend on the base URL). */
  body: Record<string, unknown>
  /** Groups (seq) assigned to the app: their members get app users with scope GROUP. */
  groups: number[]
  deleted: boolean
}

export function buildApp(ctx: GenContext, seq: number, label: string, signOnMode: string, name: string, created: number, status = 'ACTIVE'): AppRecord {
  const { seed } = ctx
  const id = ctx.appIds.encode(seq)
  const appName = name === 'custom_saml' ? `acme_${slug(label)}_${seq}` : name
  const linkName = `${appName}_link`
  const settings: Record<string, unknown> = {
    app: {},
    notifications: { vpn: { network: { connection: 'DISABLED' }, message: null, helpUrl: null } },
    manualProvisioning: false,
    implicitAssignment: false,
    notes: { admin: null, enduser: null },
  }
  const credentials: Record<string, unknown> = {
    userNameTemplate: { template: '${source.login}', type: 'BUILT_IN' },
  }
  let features: string[] = []
  switch (signOnMode) {
    case 'SAML_2_0':
    case 'SAML_1_1':
      credentials.signing = { kid: hex(seed, seq, 200, 32) }
      settings.signOn = {
        defaultRelayState: null,
        ssoAcsUrl: `https://${slug(label)}.example.net/sso/saml`,
        idpIssuer: 'http://www.okta.com/${org.externalKey}',
        audience: `https://${slug(label)}.example.net`,
        recipient: `https://${slug(label)}.example.net/sso/saml`,
        destination: `https://${slug(label)}.example.net/sso/saml`,
        subjectNameIdTemplate: '${user.userName}',
        subjectNameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        responseSigned: true,
        assertionSigned: true,
        signatureAlgorithm: 'RSA_SHA256',
        digestAlgorithm: 'SHA256',
        honorForceAuthn: true,
        authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        samlAssertionLifetimeSeconds: 3600,
        slo: { enabled: seq % 2 === 0 },
        attributeStatements: [
          { type: 'EXPRESSION', name: 'email', namespace: 'urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified', values: ['user.email'] },
        ],
        inlineHooks: [],
      }
      settings.emOptInStatus = 'DISABLED'
      features = name === 'salesforce' ? ['PUSH_NEW_USERS', 'PUSH_PROFILE_UPDATES', 'IMPORT_NEW_USERS'] : []
      break
    case 'OPENID_CONNECT':
      credentials.oauthClient = {
        autoKeyRotation: true,
        client_id: id,
        token_endpoint_auth_method: 'client_secret_basic',
      }
      settings.oauthClient = {
        client_uri: `https://${slug(label)}.example.net`,
        logo_uri: null,
        redirect_uris: [`https://${slug(label)}.example.net/callback`],
        post_logout_redirect_uris: [],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        application_type: 'web',
        consent_method: 'REQUIRED',
        issuer_mode: 'DYNAMIC',
        wildcard_redirect: 'DISABLED',
      }
      break
    case 'BOOKMARK':
      settings.app = { requestIntegration: false, url: `https://${slug(label)}.example.net/` }
      break
    case 'AUTO_LOGIN':
    case 'SECURE_PASSWORD_STORE':
      settings.app = { loginUrl: `https://${slug(label)}.example.net/login`, redirectUrl: null }
      settings.signOn = { loginUrl: `https://${slug(label)}.example.net/login`, redirectUrl: null }
      credentials.scheme = 'EDIT_USERNAME_AND_PASSWORD'
      credentials.revealPassword = false
      break
    case 'BROWSER_PLUGIN':
      settings.app = {
        buttonField: 'btn-login',
        passwordField: 'txtbox-password',
        usernameField: 'txtbox-username',
        url: `https://${slug(label)}.example.net/login.htm`,
        loginUrlRegex: null,
      }
      credentials.scheme = 'EDIT_USERNAME_AND_PASSWORD'
      break
    case 'WS_FEDERATION':
      settings.app = {
        audienceRestriction: `urn:${slug(label)}`,
        groupFilter: null,
        realm: `urn:okta:app:${id}`,
        wReplyURL: `https://${slug(label)}.example.net/_trust`,
        siteURL: `https://${slug(label)}.example.net`,
      }
      break
    case 'BASIC_AUTH':
      settings.app = { url: `https://${slug(label)}.example.net/login`, authURL: `https://${slug(label)}.example.net/auth` }
      credentials.scheme = 'EDIT_USERNAME_AND_PASSWORD'
      break
  }
  const body: Record<string, unknown> = {
    id,
    name: appName,
    label,
    status,
    lastUpdated: new Date(created).toISOString(),
    created: new Date(created).toISOString(),
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoLaunch: false, autoSubmitToolbar: false, hide: { iOS: false, web: signOnMode === 'OPENID_CONNECT' }, appLinks: { [linkName]: true } },
    features,
    signOnMode,
    credentials,
    settings,
    orn: `orn:okta:idp:00o${hex(seed, 0, 201, 17)}:apps:${appName}:${id}`,
  }
  if (signOnMode === 'OPENID_CONNECT') body.profile = { tier: seq % 3 === 0 ? 'gold' : 'standard' }
  return { seq, id, body, groups: [], deleted: false }
}

export function generateApps(ctx: GenContext): AppRecord[] {
  const apps: AppRecord[] = []
  const n = ctx.size.apps
  for (let a = 0; a < n; a++) {
    const t = APP_TEMPLATES[a % APP_TEMPLATES.length] as (typeof APP_TEMPLATES)[number]
    const label = a < APP_TEMPLATES.length ? t.label : `${t.label} ${Math.floor(a / APP_TEMPLATES.length) + 1}`
    const created = spread(ctx.seed, a, n, ctx.start - 3 * YEAR, 2 * YEAR, S.atime)
    const status = unit(ctx.seed, a, S.appStatus) < 0.1 ? 'INACTIVE' : 'ACTIVE'
    const app = buildApp(ctx, a, label, t.signOnMode, t.name, created, status)
    // Some apps are assigned to groups (never Everyone: that would make every user an app user).
    const ng = ctx.size.groups > 2 ? below(ctx.seed, a, S.appGroups, 3) : 0
    const lowest = Math.max(1, Math.floor(ctx.size.groups / 4))
    for (let k = 0; k < ng; k++) {
      const g = lowest + below(ctx.seed, a * 4 + k, S.appGroupPick, ctx.size.groups - lowest)
      if (g > 0 && !app.groups.includes(g)) app.groups.push(g)
    }
    apps.push(app)
  }
  return apps
}

/** Direct (USER-scope) assignments per app as sorted user-index arrays, skewed toward the first apps. */
export function generateDirectAssignments(ctx: GenContext): Int32Array[] {
  const n = ctx.size.apps
  const counts = new Int32Array(n)
  const picks: number[] = []
  const direct = ctx.size.assignmentsPerUser * 0.6
  const forEachPick = (visit: (a: number, u: number) => void): void => {
    for (let u = 0; u < ctx.size.users; u++) {
      const k = Math.floor(unit(ctx.seed, u, S.appsN) * 2 * direct + 0.5)
      picks.length = 0
      for (let j = 0; j < k; j++) {
        const r = unit(ctx.seed, u * 16 + j, S.appPick)
        const a = Math.floor(n * r * Math.sqrt(r))
        if (!picks.includes(a)) {
          picks.push(a)
          visit(a, u)
        }
      }
    }
  }
  if (n > 0) forEachPick((a) => { counts[a] = (counts[a] ?? 0) + 1 })
  const out = Array.from({ length: n }, (_, a) => new Int32Array(counts[a] ?? 0))
  const fill = new Int32Array(n)
  if (n > 0) forEachPick((a, u) => {
    const arr = out[a] as Int32Array
    arr[fill[a] as number] = u
    fill[a] = (fill[a] ?? 0) + 1
  })
  return out
}

/** Login and display name of a base user, without building the whole profile. */
export function userNames(ctx: GenContext, i: number): { login: string; displayName: string } {
  const [first, last] = personName(ctx.seed, i)
  return { login: `${slug(first)}.${slug(last)}.${i}@${ctx.domain}`, displayName: `${first} ${last}` }
}
