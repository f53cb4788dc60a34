/**
 * Base System Log events, each a pure function of (seed, index): published times increase with
 * the index over `logDays` before the org clock's start, so base persistence order, published
 * order and index order coincide.
 */
import { CITIES } from './names.ts'
import { DAY, type GenContext } from './org-generator.ts'
import { below, hash, hex, pick, unit } from './random.ts'

export interface Ref {
  id: string
  alternateId: string
  displayName: string
}

/** Lookups into the org for actors and targets (by base index / seq). */
export interface LogRefs {
  user(index: number): Ref
  group(seq: number): Ref
  app(seq: number): Ref
}

type Shape = 'session' | 'sso' | 'none' | 'policy' | 'user' | 'group' | 'app'

// [eventType, weight, displayMessage, legacyEventType, target shape, actor is an admin]
const TYPES: ReadonlyArray<readonly [string, number, string, string | null, Shape, boolean]> = [
  ['user.session.start', 38, 'User login to Okta', 'core.user_auth.login_success', 'session', false],
  ['user.authentication.sso', 15, 'User single sign on to app', 'app.auth.sso', 'sso', false],
  ['user.session.end', 5, 'User logout from Okta', 'core.user_auth.logout_success', 'none', false],
  ['policy.evaluate_sign_on', 5, 'Evaluation of sign-on policy', null, 'policy', false],
  ['user.lifecycle.create', 4, 'Create Okta user', 'core.user.config.user_creation.success', 'user', true],
  ['user.lifecycle.activate', 4, 'Activate Okta user', 'core.user.config.user_activated', 'user', true],
  ['user.lifecycle.deactivate', 2, 'Deactivate Okta user', 'core.user.config.user_deactivated', 'user', true],
  ['user.lifecycle.suspend', 1, 'Suspend Okta user', 'core.user.config.user_suspended', 'user', true],
  ['user.account.update_profile', 8, 'Update user profile for Okta', 'core.user.config.profile_update.success', 'user', true],
  ['user.account.lock', 1, 'Max sign in attempts exceeded', 'core.user_auth.account_locked', 'user', false],
  ['group.user_membership.add', 9, 'Add user to group membership', 'core.user_group_member.user_add', 'group', true],
  ['group.user_membership.remove', 2, 'Remove user from group membership', 'core.user_group_member.user_remove', 'group', true],
  ['application.user_membership.add', 5, 'Add user to application membership', 'app.generic.provision.assign_user_to_app', 'app', true],
  ['application.user_membership.remove', 1, 'Remove user from application membership', 'app.generic.provision.deprovision_user_from_app', 'app', true],
]
const TOTAL_WEIGHT = TYPES.reduce((s, t) => s + t[1], 0)

const S = { time: 301, type: 302, actor: 303, target: 304, outcome: 305, ip: 306, city: 307, uuid: 308, tx: 309, session: 310, ua: 311 } as const

const USER_AGENTS = [
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36', 'Mac OS X', 'CHROME'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Windows 10', 'FIREFOX'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 'iOS', 'SAFARI'],
  ['okta-sdk-java/8.2.0 java/17.0.2 Linux/5.15', 'Linux', 'UNKNOWN'],
] as const

const COORDS: Record<string, [number, number]> = {
  'San Francisco': [37.7749, -122.4194], 'New York': [40.7128, -74.006], Austin: [30.2672, -97.7431],
  Chicago: [41.8781, -87.6298], London: [51.5072, -0.1276], Berlin: [52.52, 13.405], Paris: [48.8566, 2.3522],
  Toronto: [43.6532, -79.3832], Bengaluru: [12.9716, 77.5946], Tokyo: [35.6762, 139.6503], Sydney: [-33.8688, 151.2093],
  'São Paulo': [-23.5505, -46.6333],
}

export function basePublished(ctx: GenContext, i: number): number {
  const n = ctx.size.logEvents
  const span = ctx.size.logDays * DAY - 1000
  const step = span / Math.max(1, n)
  const jitterRange = Math.max(1, Math.floor(step) - 1)
  return ctx.start - ctx.size.logDays * DAY + Math.floor(i * step) + (hash(ctx.seed, i, S.time) % jitterRange)
}

function typeIndex(ctx: GenContext, i: number): number {
  let r = below(ctx.seed, i, S.type, TOTAL_WEIGHT)
  for (let t = 0; t < TYPES.length; t++) {
    r -= (TYPES[t] as (typeof TYPES)[number])[1]
    if (r < 0) return t
  }
  return 0
}

export function baseEventType(ctx: GenContext, i: number): string {
  return (TYPES[typeIndex(ctx, i)] as (typeof TYPES)[number])[0]
}

/** `uuid` unique per persistence sequence number. */
export function eventUuid(seed: number, seq: number): string {
  return `${hex(seed, seq, S.uuid, 8)}-${hex(seed, seq, S.uuid + 1, 4)}-11ef-${hex(seed, seq, S.uuid + 2, 4)}-${seq.toString(16).padStart(12, '0')}`
}

function target(ref: Ref, type: string, detailEntry: unknown = null): Record<string, unknown> {
  return { id: ref.id, type, alternateId: ref.alternateId, displayName: ref.displayName, detailEntry }
}

export function actorOf(ref: Ref): Record<string, unknown> {
  return { id: ref.id, type: 'User', alternateId: ref.alternateId, displayName: ref.displayName, detailEntry: null }
}

/** The common envelope of an event (client, contexts, request); callers set type, actor, target. */
export function envelope(seed: number, seq: number, published: number): Record<string, unknown> {
  const [city, state, country, postal] = pick(CITIES, seed, seq, S.city)
  const [lat, lon] = COORDS[city] ?? [0, 0]
  const ip = `${10 + (hash(seed, seq, S.ip) % 200)}.${hash(seed, seq, S.ip + 1) % 256}.${hash(seed, seq, S.ip + 2) % 256}.${1 + (hash(seed, seq, S.ip + 3) % 254)}`
  const geo = { city, state, country, postalCode: postal, geolocation: { lat, lon } }
  const [raw, os, browser] = pick(USER_AGENTS, seed, seq, S.ua)
  const requestId = hex(seed, seq, S.tx, 32)
  const session = `idx${hex(seed, seq, S.session, 22)}`
  return {
    uuid: eventUuid(seed, seq),
    published: new Date(published).toISOString(),
    version: '0',
    severity: 'INFO',
    client: {
      userAgent: { rawUserAgent: raw, os, browser },
      zone: 'null',
      device: browser === 'SAFARI' ? 'Mobile' : 'Computer',
      id: null,
      ipAddress: ip,
      geographicalContext: geo,
    },
    authenticationContext: {
      authenticationProvider: null,
      credentialProvider: null,
      credentialType: null,
      issuer: null,
      interface: null,
      authenticationStep: 0,
      rootSessionId: session,
      externalSessionId: session,
    },
    securityContext: { asNumber: 394089 + (hash(seed, seq, S.ip + 4) % 1000), asOrg: 'example isp', isp: 'example isp', domain: null, isProxy: false },
    debugContext: { debugData: { requestId, requestUri: '/api/v1/authn', url: '/api/v1/authn?' } },
    transaction: { type: 'WEB', id: requestId, detail: {} },
    request: { ipChain: [{ ip, geographicalContext: geo, version: 'V4', source: null }] },
  }
}

export function generateEvent(ctx: GenContext, refs: LogRefs, i: number): Record<string, unknown> {
  const { seed, size } = ctx
  const [eventType, , displayMessage, legacy, shape, adminActor] = TYPES[typeIndex(ctx, i)] as (typeof TYPES)[number]
  const users = Math.max(1, size.users)
  const subject = below(seed, i, S.target, users)
  const actorIndex = adminActor ? below(seed, i, S.actor, Math.min(users, 5)) : subject
  const failed = shape === 'session' && unit(seed, i, S.outcome) < 0.08
  let targets: Record<string, unknown>[] | null = null
  const userT = (): Record<string, unknown> => target(refs.user(subject), 'User')
  switch (shape) {
    case 'session':
      targets = unit(seed, i, S.target + 1) < 0.5 ? null : [{ id: '0oa1okta0admin0console', type: 'AppInstance', alternateId: 'Okta Admin Console', displayName: 'Okta Admin Console', detailEntry: null }]
      break
    case 'sso':
      targets = size.apps > 0 ? [target(refs.app(below(seed, i, S.target + 2, size.apps)), 'AppInstance'), userT()] : [userT()]
      break
    case 'policy':
      targets = [
        { id: `00p${hex(seed, 1, S.target, 17)}`, type: 'PolicyEntity', alternateId: 'unknown', displayName: 'Default Policy', detailEntry: { policyType: 'OKTA_SIGN_ON' } },
        { id: `0pr${hex(seed, 2, S.target, 17)}`, type: 'PolicyRule', alternateId: 'unknown', displayName: 'Default Rule', detailEntry: null },
      ]
      break
    case 'user':
      targets = [userT()]
      break
    case 'group':
      targets = size.groups > 1 ? [userT(), target(refs.group(1 + below(seed, i, S.target + 3, size.groups - 1)), 'UserGroup')] : [userT()]
      break
    case 'app':
      targets = size.apps > 0 ? [userT(), target(refs.app(below(seed, i, S.target + 4, size.apps)), 'AppInstance')] : [userT()]
      break
    case 'none':
      targets = []
      break
  }
  return {
    ...envelope(seed, i, basePublished(ctx, i)),
    actor: actorOf(refs.user(actorIndex)),
    displayMessage,
    eventType,
    legacyEventType: legacy,
    outcome: failed ? { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } : { result: 'SUCCESS', reason: null },
    severity: failed ? 'WARN' : 'INFO',
    target: targets,
  }
}
