/**
 * The destinations fed by the real Normalizer: Okta-shaped records with hostile keys, nested
 * objects, arrays of scalars and of objects, a new attribute mid-load and a type clash. Checks that
 * the stored schema round-trips (a Normalizer rebuilt from `readSchema()` asks for no change).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { Destination } from '../../src/destinations/destination.ts'
import { Normalizer } from '../../src/schema/index.ts'
import type { TableDef, TableHints } from '../../src/schema/index.ts'
import { commit, destinationCases, openPrepared } from './destinations.ts'

const hints: TableHints = { table: 'users', primaryKey: [['id']], jsonPaths: [['_links']] }
const longKey = 'x'.repeat(130)

function record(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `00u${i}`,
    status: 'ACTIVE',
    lastLogin: '2024-05-01T10:00:00.000Z',
    profile: {
      firstName: `First ${i}`,
      'first name': 'spaced',
      'a"b': 'quote',
      'x; drop table users; --': 'semicolon',
      'prénom日本': 'unicode',
      [longKey]: 'long',
      employeeNumber: i,
      department: i % 2 === 0 ? 'Sales' : 'Engineering',
      tags: ['a', 'b'],
      ...extra,
    },
    emails: [
      { value: `u${i}@example.com`, primary: true },
      { value: `alt${i}@example.com`, primary: false },
    ],
    _links: { self: { href: `https://example.okta.com/api/v1/users/00u${i}` } },
  }
}

async function load(dest: Destination, normalizer: Normalizer, loadId: string, records: Record<string, unknown>[]) {
  const { changes, batches } = normalizer.normalize(hints, records)
  await dest.commitBatch(
    commit({
      loadId,
      schemaChanges: changes,
      writes: batches.map((rows) => ({ mode: 'merge' as const, rows })),
      counts: { rows: records.length },
    }),
  )
  return changes
}

function byName(defs: TableDef[]): TableDef[] {
  return [...defs]
    .map((d) => ({ ...d, columns: [...d.columns].sort((a, b) => (a.name < b.name ? -1 : 1)) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
}

for (const dc of destinationCases()) {
  describe(`${dc.kind} fed by the Normalizer`, () => {
    const opened: Destination[] = []
    afterAll(async () => {
      for (const d of opened) await d.close()
      await dc.cleanup()
    })

    it('lands hostile Okta-shaped batches and round-trips the schema', async () => {
      const url = dc.freshUrl()
      const dest = await openPrepared(url)
      opened.push(dest)
      const normalizer = new Normalizer({ tables: await dest.readSchema(), ...dest.capabilities })
      const first = await load(dest, normalizer, 'load-1', [record(1), record(2)])
      expect(first.some((c) => c.kind === 'create_table')).toBe(true)

      // mid-load: a new attribute, employeeNumber clashes (number → string), one email fewer
      const r3 = record(3, { costCenter: 'CC-1', employeeNumber: 'E-0003' })
      ;(r3.emails as unknown[]).pop()
      const second = await load(dest, normalizer, 'load-2', [r3, record(1, { employeeNumber: 'E-0001' })])
      expect(second.map((c) => c.kind).sort()).toEqual(expect.arrayContaining(['add_column', 'widen_column']))

      const stored = await dest.readSchema()
      // Destinations give every table `_deleted_at` (the normalizer leaves it off child tables).
      const withoutChildDeletedAt = stored.map((t) => (t.parent === undefined ? t : { ...t, columns: t.columns.filter((c) => c.name !== '_deleted_at') }))
      expect(byName(withoutChildDeletedAt)).toEqual(byName(normalizer.tables()))

      // a Normalizer rebuilt from the stored schema asks for no change on the same data
      await dest.close()
      const reopened = await openPrepared(url)
      opened.push(reopened)
      const rebuilt = new Normalizer({ tables: await reopened.readSchema(), ...reopened.capabilities })
      const again = await load(reopened, rebuilt, 'load-3', [r3, record(1, { employeeNumber: 'E-0001' }), record(2)])
      expect(again).toEqual([])

      const users = stored.find((t) => t.name === 'users')!
      const col = (path: string[]) => users.columns.find((c) => JSON.stringify(c.path) === JSON.stringify(path))!.name
      const rows = (
        await sql<Record<string, unknown>>`select * from users order by id`.execute(reopened.db)
      ).rows
      expect(rows.map((r) => r.id)).toEqual(['00u1', '00u2', '00u3'])
      expect(rows.map((r) => r[col(['profile', 'employeeNumber'])])).toEqual(['E-0001', '2', 'E-0003'])
      expect(rows.map((r) => r[col(['profile', 'a"b'])])).toEqual(['quote', 'quote', 'quote'])
      expect(rows.map((r) => r[col(['profile', 'x; drop table users; --'])])).toEqual(['semicolon', 'semicolon', 'semicolon'])
      expect(rows.map((r) => r[col(['profile', longKey])])).toEqual(['long', 'long', 'long'])
      expect(rows.map((r) => r[col(['profile', 'costCenter'])])).toEqual([null, null, 'CC-1'])

      const child = stored.find((t) => t.parent === 'users')!
      const emails = (
        await sql<{ parent: string; n: number | string }>`select ${sql.id('_parent_id')} as parent, count(*) as n from ${sql.id(child.name)} group by ${sql.id('_parent_id')} order by 1`.execute(reopened.db)
      ).rows
      expect(emails.map((e) => [e.parent, Number(e.n)])).toEqual([
        ['00u1', 2],
        ['00u2', 2],
        ['00u3', 1],
      ])
      const counts = await reopened.countRows()
      expect(counts.find((c) => c.table === 'users')).toEqual({ table: 'users', rows: 3, deleted: 0 })
    })
  })
}
