/**
 * Property: a value's representation never depends on record order. A simulator org's records
 * (users with custom attributes, groups, apps, System Log events, fetched over real HTTP) plus
 * adversarial variants (empty arrays and objects, nulls, arrays that are sometimes objects,
 * sometimes scalars, numbers that turn into strings, deep nesting, …) are loaded in several seeded
 * orders, cut into random batches with random "later runs" (destination reopened, normalizer
 * rebuilt from the stored schema), through the real load path (Normalizer → toCommitBatch →
 * Destination.commitBatch) into real SQLite files and Postgres schemas. Every order must end with
 * the same tables: the same columns with the same types, the same rows with the same values (as
 * the driver reads them and as the database itself stores them). Only `_load_id` (which load
 * wrote a row) and the physical column order (discovery order; SELECT * lists columns so) differ.
 *
 * Reproduce a failure with the seed in its name; OKTA_ELT_ORDER_SEEDS=n runs more shuffles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { Destination } from '../../src/destinations/destination.ts'
import { toCommitBatch } from '../../src/pipeline/to-commit-batch.ts'
import { RESOURCES } from '../../src/resources/index.ts'
import type { ResourceName } from '../../src/resources/index.ts'
import { Normalizer } from '../../src/schema/index.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import type { Simulator } from '../../src/simulator/index.ts'
import { randomStream, unit } from '../../src/simulator/random.ts'
import { destinationCases, openPrepared } from '../destinations/destinations.ts'

type Rec = Record<string, unknown>
const LOADED: ResourceName[] = ['users', 'groups', 'apps', 'system_log']
const SYSTEM = new Set(['_load_id', '_deleted_at'])

// ---- the org ----

/** Every page of a list endpoint, following `Link: <…>; rel="next"`, as plain JSON. */
async function list(sim: Simulator, path: string): Promise<Rec[]> {
  const out: Rec[] = []
  let url: string | null = `${sim.url}${path}`
  while (url !== null) {
    const res: Response = await fetch(url, { headers: { Authorization: `SSWS ${sim.token}`, Accept: 'application/json' } })
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
    const page = (await res.json()) as Rec[]
    out.push(...page)
    const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')
    url = next !== null && page.length > 0 ? (next[1] as string) : null
  }
  return out
}

/** Values that stress each decision: representation of [] / {} / null, arrays of every kind, type clashes. */
const TAGS: unknown[] = [[], null, undefined, ['a', 'b'], [1, 'x'], [{ k: 1 }], [{ k: 'two', more: { deep: true } }, null], [[1], [2]], {}, 'scalar', { nested: 1 }, [null]]
const SCORES: unknown[] = [1, 2.5, '3', true, null, 2n ** 60n, -0, 0.1 + 0.2, 1e-7, 1e21, '2024-01-01T00:00:00+02:00', '2024-01-01T00:00:00.123456Z', 9007199254740991, 'x', [1, 2]]
const WHEN: unknown[] = ['2024-05-01T12:00:00.000Z', '2024-05-01T14:00:00+02:00', '2024-05-01', 'soon', null, 1714564800000]
const ADDRESS: unknown[] = [{ street: 'Main 1', city: { name: 'Oslo', zip: 150 } }, 'plain text', {}, { street: {} }, null, { city: 'flat' }, [{ street: 'x' }]]

function deep(levels: number, leaf: unknown): Rec {
  let o: Rec = { leaf }
  for (let i = 0; i < levels; i++) o = { [`l${levels - i}`]: o, [`s${i}`]: i }
  return o
}

const pickFrom = (values: unknown[], i: number, salt: number): unknown => values[Math.floor(unit(77, i, salt) * values.length)]

function setOrDelete(o: Rec, key: string, value: unknown): void {
  if (value === undefined) delete o[key]
  else o[key] = structuredClone(value)
}

function adversarialUsers(base: Rec[]): Rec[] {
  return Array.from({ length: 48 }, (_, i) => {
    const u = structuredClone(base[i % base.length]) as Rec
    u.id = `00uADVERSARY${String(i).padStart(4, '0')}`
    const profile = u.profile as Rec
    // Each list is walked in full by some variant, whatever the hash picks for the others.
    setOrDelete(profile, 'tags', i < TAGS.length ? TAGS[i] : pickFrom(TAGS, i, 1))
    setOrDelete(profile, 'score', i < SCORES.length ? SCORES[i] : pickFrom(SCORES, i, 2))
    setOrDelete(profile, 'when', pickFrom(WHEN, i, 3))
    setOrDelete(profile, 'address', i < ADDRESS.length ? ADDRESS[i] : pickFrom(ADDRESS, i, 4))
    setOrDelete(profile, 'entitlements', pickFrom([[], null, ['vpn'], undefined, [{ name: 'vpn' }]], i, 5))
    if (i % 5 === 0) u.deepData = deep(6 + (i % 9), pickFrom(SCORES, i, 6))
    if (i % 7 === 0) u.emptyThing = {}
    if (i % 4 === 1) u.extras = [{ a: 1, list: [] }, { a: 'x', list: [1, { b: 2 }] }, { b: {} }, null]
    if (i % 4 === 2) u.extras = []
    if (i % 6 === 3) u.credentials = null
    return u
  })
}

function adversarialEvents(base: Rec[]): Rec[] {
  return Array.from({ length: 30 }, (_, i) => {
    const e = structuredClone(base[i % base.length]) as Rec
    e.uuid = `adversary-${String(i).padStart(4, '0')}`
    setOrDelete(e, 'target', pickFrom([[], null, undefined, [{ id: 'x', type: 'User', detailEntry: { k: [1] } }], [{ id: 'y', alternateId: 7 }, null]], i, 7))
    setOrDelete(e, 'client', pickFrom([null, { ipAddress: '10.0.0.1', geographicalContext: null }, { geographicalContext: { geolocation: { lat: 1.5, lon: -2 } } }, {}], i, 8))
    ;(e.debugContext as Rec | undefined) && ((e.debugContext as Rec).debugData = pickFrom([{}, { a: [] }, { n: 1, s: '1' }, null], i, 9))
    return e
  })
}

function adversarialGroups(base: Rec[]): Rec[] {
  return Array.from({ length: 12 }, (_, i) => {
    const g = structuredClone(base[i % base.length]) as Rec
    g.id = `00gADVERSARY${String(i).padStart(4, '0')}`
    g.objectClass = pickFrom([[], ['okta:user_group'], null, [{ kind: 'x' }], 'single'], i, 10)
    ;(g.profile as Rec).description = pickFrom([null, '', 'text', 5, { lang: 'en' }], i, 11)
    return g
  })
}

function adversarialApps(base: Rec[]): Rec[] {
  return Array.from({ length: 10 }, (_, i) => {
    const a = structuredClone(base[i % base.length]) as Rec
    a.id = `0oaADVERSARY${String(i).padStart(4, '0')}`
    a.features = pickFrom([[], ['PUSH_NEW_USERS'], null, [{ f: 1 }]], i, 12)
    a.settings = pickFrom([{}, { app: { url: 'https://x' } }, null], i, 13)
    a.licensing = pickFrom([{ seatCount: 0 }, { seatCount: 2.5 }, { seatCount: 'unlimited' }, {}], i, 14)
    return a
  })
}

// ---- loading ----

function shuffled<T>(items: readonly T[], seed: number, salt: number): T[] {
  const out = [...items]
  const next = randomStream(seed, salt)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

/** Loads every resource's records in the order given, in random batches, with random reopenings (later runs). */
async function load(url: string, records: Record<string, Rec[]>, seed: number): Promise<void> {
  const next = randomStream(seed, 991)
  let dest: Destination = await openPrepared(url)
  let normalizer = new Normalizer({ tables: await dest.readSchema(), ...dest.capabilities })
  let loadNo = 0
  try {
    for (const name of LOADED) {
      const resource = RESOURCES[name]
      const all = records[name] as Rec[]
      for (let at = 0; at < all.length; ) {
        const size = 1 + Math.floor(next() * 30)
        const batch = all.slice(at, at + size)
        at += size
        if (next() < 0.15) {
          await dest.close()
          dest = await openPrepared(url)
          normalizer = new Normalizer({ tables: await dest.readSchema(), ...dest.capabilities })
        }
        const normalized = normalizer.normalize(resource.table, structuredClone(batch))
        await dest.commitBatch(
          toCommitBatch({
            loadId: `load-${loadNo++}`,
            resource,
            batches: [{ resource: name, records: batch, state: [] }],
            normalized,
            tables: normalizer.tables(),
            registry: RESOURCES,
          }),
        )
      }
    }
  } finally {
    await dest.close()
  }
}

/** The loaded tables as the destination holds them, `_load_id` aside, columns by name, rows by key. */
async function snapshot(kind: string, url: string): Promise<unknown> {
  const dest = await openPrepared(url)
  try {
    const out: Record<string, unknown> = {}
    const declared = new Map<string, string>()
    if (kind === 'postgres') {
      const res = await sql`select table_name, column_name, data_type from information_schema.columns where table_schema = current_schema()`.execute(dest.db)
      for (const r of res.rows as { table_name: string; column_name: string; data_type: string }[]) declared.set(`${r.table_name}.${r.column_name}`, r.data_type)
    }
    for (const table of (await dest.readSchema()).filter((t) => !t.name.startsWith('_okta_elt'))) {
      const columns = table.columns.filter((c) => !SYSTEM.has(c.name)).sort((a, b) => (a.name < b.name ? -1 : 1))
      if (kind === 'sqlite') {
        const info = await sql`select name, type from pragma_table_info(${table.name})`.execute(dest.db)
        for (const r of info.rows as { name: string; type: string }[]) declared.set(`${table.name}.${r.name}`, r.type)
      }
      // SQLite: the value as the driver reads it and its storage class; Postgres: its text form.
      const select = columns.map((c) =>
        kind === 'sqlite' ? sql`typeof(${sql.id(c.name)}) || ':' || coalesce(cast(${sql.id(c.name)} as text), '') as ${sql.id(`${c.name}:stored`)}, ${sql.id(c.name)}` : sql`${sql.id(c.name)}::text as ${sql.id(c.name)}`,
      )
      const order = table.primaryKey.map((k) => sql.id(k))
      const rows = await sql`select ${sql.join(select)} from ${sql.id(table.name)} order by ${sql.join(order)}`.execute(dest.db)
      out[table.name] = {
        parent: table.parent ?? null,
        path: table.path ?? null,
        primaryKey: table.primaryKey,
        columns: columns.map((c) => [c.name, JSON.stringify(c.path), c.type, declared.get(`${table.name}.${c.name}`)]),
        rows: rows.rows,
      }
    }
    return out
  } finally {
    await dest.close()
  }
}

// ---- the property ----

describe('order independence: the loaded tables do not depend on record order', () => {
  let sim: Simulator
  const records: Record<string, Rec[]> = {}

  beforeAll(async () => {
    const now = new Date('2026-03-01T12:00:00.000Z')
    sim = await startSimulator({ seed: 42, now, size: { users: 80, groups: 10, apps: 8, logEvents: 160, logDays: 3 } })
    // Custom attributes as real orgs have them: sometimes empty, sometimes null, sometimes absent.
    sim.org.addCustomAttribute('costCenter', (_id, i) => (i % 3 === 0 ? null : i % 3 === 1 ? `CC-${i}` : i))
    sim.org.addCustomAttribute('projects', (_id, i) => (i % 4 === 0 ? [] : i % 4 === 1 ? ['alpha', `p${i}`] : i % 4 === 2 ? null : undefined))
    sim.org.addCustomAttribute('preferences', (_id, i) => (i % 5 === 0 ? {} : i % 5 === 1 ? { theme: 'dark', fontSize: 12 + (i % 3) } : null))
    const users = await list(sim, '/api/v1/users?search=' + encodeURIComponent('lastUpdated gt "1970-01-01T00:00:00.000Z"') + '&limit=200')
    const groups = await list(sim, '/api/v1/groups?limit=200')
    const apps = await list(sim, '/api/v1/apps?limit=200')
    const logs = await list(sim, `/api/v1/logs?since=${encodeURIComponent(new Date(now.getTime() - 7 * 86_400_000).toISOString())}&limit=1000`)
    expect(users.length).toBeGreaterThan(40)
    expect(logs.length).toBeGreaterThan(50)
    records.users = [...users, ...adversarialUsers(users)]
    records.groups = [...groups, ...adversarialGroups(groups)]
    records.apps = [...apps, ...adversarialApps(apps)]
    records.system_log = [...logs, ...adversarialEvents(logs)]
  }, 60_000)

  afterAll(async () => {
    await sim?.close()
  })

  const extra = Number(process.env.OKTA_ELT_ORDER_SEEDS ?? 0)
  const seeds = Array.from({ length: 3 + extra }, (_, i) => 1001 + i)

  for (const dc of destinationCases()) {
    // Postgres costs a round trip per statement: two orders there, more on SQLite.
    const shuffles = seeds.map((s) => `shuffle ${s}`)
    const orders = dc.kind === 'postgres' ? ['as listed', ...shuffles.slice(0, 1 + extra)] : ['as listed', 'reversed', ...shuffles]
    describe(dc.kind, () => {
      afterAll(() => dc.cleanup())

      it(`${orders.join(', ')}: identical tables`, async () => {
        const arrange = (order: string, list: Rec[], salt: number): Rec[] =>
          order === 'as listed' ? list : order === 'reversed' ? [...list].reverse() : shuffled(list, Number(order.split(' ')[1]), salt)
        let reference: unknown = null
        for (const [o, order] of orders.entries()) {
          const url = dc.freshUrl()
          const arranged = Object.fromEntries(LOADED.map((name, i) => [name, arrange(order, records[name] as Rec[], i + 1)]))
          await load(url, arranged, 500 + o)
          const snap = await snapshot(dc.kind, url)
          if (reference === null) {
            reference = snap
            // The property is only as good as what was loaded: every record, the tables the variants create.
            const tables = snap as Record<string, { rows: unknown[]; columns: unknown[][] }>
            for (const name of LOADED) expect(tables[name]?.rows, name).toHaveLength((records[name] as Rec[]).length)
            expect(Object.keys(tables)).toEqual(expect.arrayContaining(['users__extras', 'users__profile__tags', 'system_log__target', 'groups__object_class']))
          }
          else expect(snap, `order "${order}" differs from "${orders[0]}"`).toEqual(reference)
        }
      }, 240_000)
    })
  }
})
