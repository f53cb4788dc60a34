/**
 * The simulator in its own process, so that generating pages is not charged to the event loop
 * being measured. Forked by `sim-process.ts` with an IPC channel: it starts `startSimulator` from
 * the options in argv[2] (JSON), answers `ready` with the URL and token, then serves commands
 * (org changes for the nightly run, request statistics, rate-limit changes, close).
 */
import { startSimulator } from '../src/simulator/index.ts'
import type { BucketName, RecordedRequest, SimulatorOptions } from '../src/simulator/index.ts'
import type { SimCommand, SimReply, RequestReport } from './sim-protocol.ts'

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions
const sim = await startSimulator(options)

function send(msg: SimReply): void {
  process.send?.(msg)
}

/** Deterministic pseudo-random numbers, so the nightly changes are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One night's worth of change: 1% of users edited, a few memberships and assignments, a day of logs. */
function nightlyChanges(args: { userFraction: number; memberships: number; assignments: number; logEvents: number }): Record<string, number> {
  const org = sim.org
  const random = mulberry32(7)
  const userIds = [...org.userIds()]
  const groupIds = org.groupIds()
  const appIds = org.appIds()
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  sim.clock.freeze()
  const edited = new Set<string>()
  const want = Math.round(userIds.length * args.userFraction)
  while (edited.size < want) {
    const id = pick(userIds)
    if (edited.has(id)) continue
    edited.add(id)
    org.updateUser(id, { title: `Night shift ${edited.size}` })
  }
  let memberships = 0
  for (let i = 0; i < args.memberships; i++) {
    const group = pick(groupIds.slice(1)) // not Everyone (BUILT_IN)
    if (i % 2 === 0) {
      org.addMember(group, pick(userIds))
    } else {
      const member = org.groupMemberIds(group)[0]
      if (member !== undefined) org.removeMember(group, member)
    }
    memberships++
  }
  let assignments = 0
  for (let i = 0; i < args.assignments; i++) {
    const app = pick(appIds)
    if (i % 2 === 0) {
      org.assignUser(app, pick(userIds))
    } else {
      const assignee = org.appAssigneeIds(app)[0]
      if (assignee !== undefined) org.unassignUser(app, assignee)
    }
    assignments++
  }
  // The access graph moves a little too: a handful of role grants, factor enrolments and app ↔ group assignments.
  let access = 0
  for (let i = 0; i < args.assignments; i++) {
    org.grantUserRole(pick(userIds), 'READ_ONLY_ADMIN')
    org.enrollFactor(pick(userIds), 'webauthn')
    org.assignGroupToApp(pick(appIds), pick(groupIds.slice(1)))
    access += 3
  }
  const types = ['user.session.start', 'user.authentication.sso', 'user.session.end', 'policy.evaluate_sign_on']
  for (let i = 0; i < args.logEvents; i++) {
    org.emitLogEvent({ eventType: pick(types) })
  }
  sim.clock.unfreeze()
  return { users: edited.size, memberships, assignments, access, logEvents: args.logEvents }
}

/** Requests seen since the last `clear`, per bucket: count, status codes, arrival times (ms). */
function report(withTimes: boolean): RequestReport {
  const buckets: RequestReport['buckets'] = {}
  let total = 0
  let tooMany = 0
  for (const r of sim.requests as readonly RecordedRequest[]) {
    total++
    if (r.status === 429) tooMany++
    const b = (buckets[r.bucket] ??= { requests: 0, tooMany: 0, times: [] })
    b.requests++
    if (r.status === 429) b.tooMany++
    if (withTimes && r.status !== 429) b.times.push(r.at)
  }
  return { total, tooMany, buckets }
}

process.on('message', (raw) => {
  const cmd = raw as SimCommand
  try {
    switch (cmd.op) {
      case 'counts':
        send({ id: cmd.id, ok: true, value: sim.org.counts() })
        break
      case 'nightly':
        send({ id: cmd.id, ok: true, value: nightlyChanges(cmd.args) })
        break
      case 'requests':
        send({ id: cmd.id, ok: true, value: report(cmd.times ?? false) })
        break
      case 'clear':
        sim.clearRequests()
        send({ id: cmd.id, ok: true, value: null })
        break
      case 'rate-limits':
        sim.setRateLimits(cmd.limits as Partial<Record<BucketName, number>> | false, cmd.windowMs)
        send({ id: cmd.id, ok: true, value: null })
        break
      case 'close':
        void sim.close().then(() => {
          send({ id: cmd.id, ok: true, value: null })
          process.disconnect?.()
        })
        break
    }
  } catch (err) {
    send({ id: cmd.id, ok: false, error: String(err) })
  }
})

send({ id: 0, ok: true, value: { url: sim.url, token: sim.token, counts: sim.org.counts() } })
