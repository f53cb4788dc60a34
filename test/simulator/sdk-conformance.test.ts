/**
 * Okta's official Node SDK reads the simulator through its own pagination and auth: if the SDK
 * chokes on something, the simulator is not speaking Okta.
 */
import { createRequire } from 'node:module'
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'

const require = createRequire(import.meta.url)
const okta = require('@okta/okta-sdk-nodejs') as { Client: new (config: Record<string, unknown>) => any }

const NOW = new Date('2026-03-01T12:00:00.000Z')
const DAY = 86_400_000
let sim: Simulator
let client: any

async function collect<T = any>(collection: AsyncIterable<T> | Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = []
  for await (const item of await collection) {
    // The SDK yields a null value for an empty page before it sees the end.
    if (item !== null && item !== undefined) out.push(item)
  }
  return out
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, size: { users: 730, groups: 25, apps: 14, logEvents: 1500, logDays: 20 }, now: NOW })
  client = new okta.Client({
    orgUrl: sim.url,
    token: sim.token,
    authorizationMode: 'SSWS',
    cacheMiddleware: null,
    testing: { disableHttpsCheck: true },
  })
})
afterAll(async () => {
  await sim.close()
})

describe('@okta/okta-sdk-nodejs against the simulator', () => {
  it('lists users (default listing and DEPROVISIONED filter) to exactly the generated set', async () => {
    const active = await collect(client.userApi.listUsers({ limit: 97 }))
    const deprovisioned = await collect(client.userApi.listUsers({ filter: 'status eq "DEPROVISIONED"', limit: 50 }))
    expect(active.every((u: any) => u.status !== 'DEPROVISIONED')).toBe(true)
    expect(deprovisioned.length).toBeGreaterThan(0)
    const ids = [...active, ...deprovisioned].map((u: any) => u.id)
    expect(ids.sort()).toEqual([...sim.org.userIds()].sort())
    const sample = active[0]
    expect(sample.profile.login).toMatch(/@/)
    expect(sample.lastUpdated).toBeInstanceOf(Date)
  })

  it('lists users with search and sortBy through the SDK', async () => {
    const ids = [...sim.org.userIds()]
    const from = new Date((sim.org.getUser(ids[100]!)!.lastUpdated as string)).toISOString()
    const found = await collect(client.userApi.listUsers({ search: `lastUpdated gt "${from}"`, sortBy: 'lastUpdated', sortOrder: 'asc', limit: 200 }))
    expect(found.map((u: any) => u.id)).toEqual(ids.slice(101))
  })

  it('lists groups, group members and stats', async () => {
    const groups = await collect(client.groupApi.listGroups({ limit: 7, expand: 'stats' }))
    expect(groups.map((g: any) => g.id)).toEqual(sim.org.groupIds())
    expect(new Set(groups.map((g: any) => g.type))).toEqual(new Set(['OKTA_GROUP', 'APP_GROUP', 'BUILT_IN']))
    for (const groupId of sim.org.groupIds()) {
      const members = await collect(client.groupApi.listGroupUsers({ groupId, limit: 200 }))
      expect(members.map((u: any) => u.id)).toEqual(sim.org.groupMemberIds(groupId))
    }
  })

  it('lists apps and app users', async () => {
    const apps = await collect(client.applicationApi.listApplications({ limit: 5 }))
    expect(apps.map((a: any) => a.id)).toEqual(sim.org.appIds())
    expect(new Set(apps.map((a: any) => a.signOnMode)).size).toBeGreaterThanOrEqual(5)
    let total = 0
    for (const appId of sim.org.appIds()) {
      const users = await collect(client.applicationApi.listApplicationUsers({ appId, limit: 100 }))
      expect(users.map((u: any) => u.id)).toEqual(sim.org.appAssigneeIds(appId))
      total += users.length
    }
    expect(total).toBe(sim.org.counts().assignments)
  })

  it('lists System Log events in bounded mode and polls them', async () => {
    const since = new Date(NOW.getTime() - 21 * DAY).toISOString()
    const until = new Date(NOW.getTime()).toISOString()
    const bounded = await collect(client.systemLogApi.listLogEvents({ since, until, limit: 400 }))
    expect(bounded).toHaveLength(1500)
    expect(new Set(bounded.map((e: any) => e.uuid)).size).toBe(1500)
    // Polling never ends: `each` stops at the first empty page.
    const polled: any[] = []
    const collection = await client.systemLogApi.listLogEvents({ since, limit: 500 })
    await collection.each((e: any) => {
      polled.push(e)
    })
    expect(polled.map((e: any) => e.uuid)).toEqual(bounded.map((e: any) => e.uuid))
  })

  it('authenticates with a private_key_jwt service app through the SDK', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
    const s = await startSimulator({
      size: { users: 30 },
      oauthClients: [{ clientId: '0oaSdkClient', publicKey: await exportSPKI(publicKey), scopes: ['okta.users.read', 'okta.groups.read'] }],
    })
    try {
      const oauthClient = new okta.Client({
        orgUrl: s.url,
        authorizationMode: 'PrivateKey',
        clientId: '0oaSdkClient',
        scopes: ['okta.users.read'],
        privateKey: await exportPKCS8(privateKey),
        keyId: 'kid1',
        cacheMiddleware: null,
        testing: { disableHttpsCheck: true },
      })
      const users = await collect(oauthClient.userApi.listUsers({ limit: 10 }))
      expect(users.length).toBe([...s.org.userIds()].filter((id) => s.org.getUser(id)!.status !== 'DEPROVISIONED').length)
      expect(s.requests.some((r) => r.path === '/oauth2/v1/token' && r.status === 200)).toBe(true)
    } finally {
      await s.close()
    }
  })
})
