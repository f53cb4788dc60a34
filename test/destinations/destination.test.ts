import { afterAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { ColumnDef, ColumnType, TableDef } from '../../src/schema/types.ts'
import type { Destination } from '../../src/destinations/destination.ts'
import { commit, destinationCases, iso, jsonReader, openPrepared } from './destinations.ts'

const sys: ColumnDef[] = [
  { name: '_load_id', path: [], type: 'text' },
  { name: '_deleted_at', path: [], type: 'timestamp' },
]

const users: TableDef = {
  name: 'users',
  primaryKey: ['id'],
  columns: [
    { name: 'id', path: ['id'], type: 'text' },
    { name: 'status', path: ['status'], type: 'text' },
    { name: 'created', path: ['created'], type: 'timestamp' },
    { name: 'last_login', path: ['lastLogin'], type: 'timestamp' },
    { name: 'profile__department', path: ['profile', 'department'], type: 'text' },
    { name: 'profile__employee_number', path: ['profile', 'employeeNumber'], type: 'bigint' },
    { name: 'profile__score', path: ['profile', 'score'], type: 'double' },
    { name: 'profile__is_admin', path: ['profile', 'isAdmin'], type: 'boolean' },
    { name: 'profile__tags', path: ['profile', 'tags'], type: 'json' },
    ...sys,
  ],
}
const userCols = ['id', 'status', 'created', 'last_login', 'profile__department', 'profile__employee_number', 'profile__score', 'profile__is_admin', 'profile__tags']

const groupUsers: TableDef = {
  name: 'group_users',
  primaryKey: ['group_id', 'user_id'],
  columns: [
    { name: 'group_id', path: ['group_id'], type: 'text' },
    { name: 'user_id', path: ['user_id'], type: 'text' },
    { name: 'role', path: ['role'], type: 'text' },
    ...sys,
  ],
}

const logTargets: TableDef = {
  name: 'system_log__target',
  parent: 'system_log',
  path: ['target'],
  primaryKey: ['_parent_id', '_idx'],
  columns: [
    { name: '_parent_id', path: [], type: 'text' },
    { name: '_idx', path: [], type: 'bigint' },
    { name: 'id', path: ['id'], type: 'text' },
    { name: 'type', path: ['type'], type: 'text' },
    ...sys,
  ],
}

const systemLog: TableDef = {
  name: 'system_log',
  primaryKey: ['uuid'],
  columns: [
    { name: 'uuid', path: ['uuid'], type: 'text' },
    { name: 'event_type', path: ['eventType'], type: 'text' },
    { name: 'published', path: ['published'], type: 'timestamp' },
    ...sys,
  ],
}

function user(id: string, over: Partial<Record<string, unknown>> = {}): (string | number | boolean | bigint | null)[] {
  const base: Record<string, unknown> = {
    id,
    status: 'ACTIVE',
    created: '2024-01-02T03:04:05.000Z',
    last_login: '2024-06-01T10:00:00.000Z',
    profile__department: 'Engineering',
    profile__employee_number: 1001,
    profile__score: 4.5,
    profile__is_admin: false,
    profile__tags: '["a","b"]',
    ...over,
  }
  return userCols.map((c) => base[c] as string | number | boolean | bigint | null)
}

async function rows(dest: Destination, query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  return (await query.execute(dest.db)).rows as Record<string, unknown>[]
}

for (const dc of destinationCases()) {
  describe(`${dc.kind} destination`, () => {
    afterAll(() => dc.cleanup())
    const json = jsonReader(dc.kind)
    const opened: Destination[] = []
    afterAll(async () => {
      for (const d of opened) await d.close()
    })
    async function fresh(opts = {}): Promise<Destination> {
      const d = await openPrepared(dc.freshUrl(), opts)
      opened.push(d)
      return d
    }

    it('runs migrations idempotently and survives reopening', async () => {
      const url = dc.freshUrl()
      const a = await openPrepared(url)
      await a.prepare()
      await a.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: users }] }))
      await a.close()
      await a.close() // idempotent
      const b = await openPrepared(url)
      opened.push(b)
      const schema = await b.readSchema()
      expect(schema.map((t) => t.name)).toEqual(['users'])
      expect(schema[0]!.primaryKey).toEqual(['id'])
      expect(schema[0]!.columns.map((c) => [c.name, c.type])).toEqual(users.columns.map((c) => [c.name, c.type]))
      expect(schema[0]!.columns.find((c) => c.name === 'profile__department')!.path).toEqual(['profile', 'department'])
      const migrations = await rows(b, sql`select name from _okta_elt_migrations order by name`)
      expect(migrations.map((m) => m.name)).toEqual(['0001-loads', '0002-state', '0003-columns', '0004-lock', '0005-history-stage'])
    })

    it('creates typed columns and reads values back with their types', async () => {
      const d = await fresh()
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: users }],
          writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u1', { profile__employee_number: 9007199254740993n, profile__is_admin: true })] } }],
          counts: { rows: 1 },
        }),
      )
      const [r] = await rows(d, sql`select * from users`)
      expect(r!.id).toBe('u1')
      expect(iso(r!.created)).toBe('2024-01-02T03:04:05.000Z')
      expect(r!.profile__score).toBe(4.5)
      expect(json(r!.profile__tags)).toEqual(['a', 'b'])
      expect(r!._load_id).toBe('load-1')
      expect(r!._deleted_at).toBeNull()
      if (dc.kind === 'postgres') {
        expect(r!.created).toBeInstanceOf(Date)
        expect(r!.profile__is_admin).toBe(true)
        expect(r!.profile__employee_number).toBe(9007199254740993n) // beyond 2^53: exact, as BigInt
        const types = await rows(d, sql`select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = 'users' order by ordinal_position`)
        expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toMatchObject({
          created: 'timestamp with time zone',
          profile__employee_number: 'bigint',
          profile__score: 'double precision',
          profile__is_admin: 'boolean',
          profile__tags: 'jsonb',
          _deleted_at: 'timestamp with time zone',
        })
      } else if (dc.kind === 'duckdb') {
        expect(r!.created).toBeInstanceOf(Date)
        expect(r!.profile__is_admin).toBe(true)
        expect(r!.profile__employee_number).toBe(9007199254740993n) // beyond 2^53: exact, as BigInt
        const types = await rows(d, sql`select column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = 'users' order by ordinal_position`)
        expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toMatchObject({
          created: 'TIMESTAMP WITH TIME ZONE',
          profile__employee_number: 'BIGINT',
          profile__score: 'DOUBLE',
          profile__is_admin: 'BOOLEAN',
          profile__tags: 'JSON',
          _deleted_at: 'TIMESTAMP WITH TIME ZONE',
        })
      } else {
        expect(r!.profile__is_admin).toBe(1)
        const [exact] = await rows(d, sql`select cast(profile__employee_number as text) as n, typeof(profile__employee_number) as t from users`)
        expect(exact).toEqual({ n: '9007199254740993', t: 'integer' })
      }
    })

    it('quotes hostile table and column names', async () => {
      const d = await fresh()
      const hostile: TableDef = {
        name: 'we"ird; drop table users;--',
        primaryKey: ['id"key'],
        columns: [
          { name: 'id"key', path: ['id'], type: 'text' },
          { name: 'prénom "quoted"; select 1', path: ['prénom'], type: 'text' },
          { name: 'profile__x_3f9a1c07', path: ['profile', 'a very long key with spaces'], type: 'bigint' },
          { name: 'a.b', path: ['a.b'], type: 'boolean' },
          { name: '日本語', path: ['日本語'], type: 'text' },
          { name: 'q?$1', path: ['q'], type: 'text' },
          ...sys,
        ],
      }
      const cols = ['id"key', 'prénom "quoted"; select 1', 'profile__x_3f9a1c07', 'a.b', '日本語', 'q?$1']
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: hostile }, { kind: 'create_table', table: users }],
          writes: [{ mode: 'merge', rows: { table: hostile.name, columns: cols, rows: [['k1', "O'Brien\t\"x\"\n\\", 7, true, 'ok', '?']] } }],
          deletes: [],
        }),
      )
      await d.commitBatch(commit({ writes: [{ mode: 'merge', rows: { table: hostile.name, columns: cols, rows: [['k1', 'second', 8, false, 'ok2', '$1']] } }] }))
      const got = await rows(d, sql`select * from ${sql.id(hostile.name)}`)
      expect(got).toHaveLength(1)
      expect(got[0]!['prénom "quoted"; select 1']).toBe('second')
      expect(got[0]!['日本語']).toBe('ok2')
      expect(got[0]!['q?$1']).toBe('$1')
      expect(Number(got[0]!.profile__x_3f9a1c07)).toBe(8)
      await d.commitBatch(commit({ writes: [{ mode: 'merge', rows: { table: hostile.name, columns: cols, rows: [['k2', "O'Brien\t\"x\"\n\\", 1, true, null, null]] } }] }))
      const [k2] = await rows(d, sql`select ${sql.id('prénom "quoted"; select 1')} as v from ${sql.id(hostile.name)} where ${sql.id('id"key')} = 'k2'`)
      expect(k2!.v).toBe("O'Brien\t\"x\"\n\\")
      // the other table is untouched by the "injection"
      expect((await d.countRows()).map((c) => c.table).sort()).toEqual(['users', hostile.name].sort())
      const schema = await d.readSchema()
      expect(schema.find((t) => t.name === hostile.name)!.columns.map((c) => c.name)).toEqual(hostile.columns.map((c) => c.name))
    })

    it('writes long multi-byte values whole, in a merge and in a fresh copy (the bulk paths buffer ~1 MiB at a time)', async () => {
      const d = await fresh()
      // 400k three-byte characters: one value larger than a buffer, and rows either side of it.
      const long = '€'.repeat(400_000)
      const page = Array.from({ length: 300 }, (_, i) => user(`u${String(i).padStart(3, '0')}`, { profile__department: i === 150 ? long : `dép ${i} 日本`.repeat(200) }))
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: users }], writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: page } }] }))
      await d.commitBatch(commit({ loadId: 'load-2', schemaChanges: [{ kind: 'create_table', table: { ...users, name: 'users_copy' } }] }))
      await d.commitBatch(commit({ loadId: 'load-2', writes: [{ mode: 'copy', fresh: true, rows: { table: 'users_copy', columns: userCols, rows: page } }] }))
      for (const table of ['users', 'users_copy']) {
        const got = await rows(d, sql`select id, profile__department as dept from ${sql.id(table)} order by id`)
        expect(got.map((r) => r.dept)).toEqual(page.map((r) => r[4]))
      }
    })

    it('adds a column mid-load without touching existing rows', async () => {
      const d = await fresh()
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: users }],
          writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u1'), user('u2')] } }],
        }),
      )
      const added: ColumnDef = { name: 'profile__cost_center', path: ['profile', 'costCenter'], type: 'text' }
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          schemaChanges: [{ kind: 'add_column', table: 'users', column: added }],
          writes: [{ mode: 'merge', rows: { table: 'users', columns: [...userCols, 'profile__cost_center'], rows: [[...user('u3'), 'CC-9']] } }],
        }),
      )
      const got = await rows(d, sql`select id, profile__cost_center, _load_id from users order by id`)
      expect(got).toEqual([
        { id: 'u1', profile__cost_center: null, _load_id: 'load-1' },
        { id: 'u2', profile__cost_center: null, _load_id: 'load-1' },
        { id: 'u3', profile__cost_center: 'CC-9', _load_id: 'load-2' },
      ])
      const schema = await d.readSchema()
      expect(schema[0]!.columns.at(-1)).toEqual(added)
      const history = await rows(d, sql`select kind, table_name, column_name, to_type, load_id from _okta_elt_schema_changes order by id`)
      expect(history).toEqual([
        { kind: 'create_table', table_name: 'users', column_name: null, to_type: null, load_id: 'load-1' },
        { kind: 'add_column', table_name: 'users', column_name: 'profile__cost_center', to_type: 'text', load_id: 'load-2' },
      ])
      // A replayed add of the same column is a no-op, not an error.
      await d.commitBatch(commit({ loadId: 'load-3', schemaChanges: [{ kind: 'add_column', table: 'users', column: added }] }))
      expect((await rows(d, sql`select count(*) as n from _okta_elt_schema_changes`))[0]!.n).toBe(2)
    })

    it('widens a column a view reads (the contract views, or an analyst\'s own): the load succeeds and the view still answers', async () => {
      const d = await fresh()
      const table: TableDef = {
        name: 'viewed',
        primaryKey: ['id'],
        columns: [{ name: 'id', path: ['id'], type: 'text' }, { name: 'n', path: ['n'], type: 'bigint' }, { name: 'status', path: ['status'], type: 'text' }, ...sys],
      }
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table }], writes: [{ mode: 'merge', rows: { table: 'viewed', columns: ['id', 'n', 'status'], rows: [['a', 1, 'ACTIVE']] } }] }))
      await sql.raw('create view viewed_v as select id, n, status from viewed where _deleted_at is null').execute(d.db)
      // One that no longer fits once status is json in Postgres (jsonb = 'ACTIVE' does not parse): dropped there, the load still succeeds.
      await sql.raw(`create view viewed_active as select id from viewed where status = 'ACTIVE'`).execute(d.db)
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          schemaChanges: [
            { kind: 'widen_column', table: 'viewed', column: 'n', from: 'bigint', to: 'double' },
            { kind: 'widen_column', table: 'viewed', column: 'status', from: 'text', to: 'json' },
          ],
          writes: [{ mode: 'merge', rows: { table: 'viewed', columns: ['id', 'n', 'status'], rows: [['b', 2.5, '{"code":"X"}']] } }],
        }),
      )
      const got = await rows(d, sql`select id, n from viewed_v order by id`)
      expect(got.map((r) => [r.id, Number(r.n)])).toEqual([['a', 1], ['b', 2.5]])
    })

    it('widens columns along every lattice path, keeping existing values', async () => {
      const d = await fresh()
      const paths: [ColumnType, ColumnType, unknown][] = [
        ['boolean', 'text', true],
        ['boolean', 'json', false],
        ['bigint', 'double', 42],
        ['bigint', 'text', 9007199254740993n],
        ['bigint', 'json', 7],
        ['double', 'text', 1.5],
        ['double', 'json', 2.25],
        ['timestamp', 'text', '2024-01-02T03:04:05.678Z'],
        ['timestamp', 'json', '2024-01-02T03:04:05.678Z'],
        ['text', 'json', 'abc'],
      ]
      const name = (from: string, to: string) => `w_${from}_${to}`
      const table: TableDef = {
        name: 'widen',
        primaryKey: ['id'],
        columns: [{ name: 'id', path: ['id'], type: 'text' }, { name: 'dbl_int', path: ['x'], type: 'double' }, ...paths.map(([f, t]) => ({ name: name(f, t), path: [name(f, t)], type: f })), ...sys],
      }
      const cols = ['id', 'dbl_int', ...paths.map(([f, t]) => name(f, t))]
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table }],
          writes: [{ mode: 'merge', rows: { table: 'widen', columns: cols, rows: [['old', 2, ...paths.map(([, , v]) => v as never)]] } }],
        }),
      )
      // One batch: widen everything (plus dbl_int double→text), then write a row with the new types.
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          schemaChanges: [
            ...paths.map(([f, t]) => ({ kind: 'widen_column' as const, table: 'widen', column: name(f, t), from: f, to: t })),
            { kind: 'widen_column', table: 'widen', column: 'dbl_int', from: 'double', to: 'text' },
          ],
          writes: [
            {
              mode: 'merge',
              rows: {
                table: 'widen',
                columns: ['id', 'w_bigint_text', 'w_text_json', 'w_boolean_text'],
                rows: [['new', '00123', '{"k":[1,2]}', 'maybe']],
              },
            },
          ],
        }),
      )
      const got = await rows(d, sql`select * from widen order by id`)
      const old = got.find((r) => r.id === 'old')!
      const expected: Record<string, unknown> = {
        w_boolean_text: 'true',
        w_bigint_double: 42,
        w_bigint_text: '9007199254740993',
        w_double_text: '1.5',
        w_timestamp_text: '2024-01-02T03:04:05.678Z',
        dbl_int: '2',
      }
      for (const [k, v] of Object.entries(expected)) expect([k, old[k]]).toEqual([k, v])
      // A scalar widened to json is the JSON string of its text (src/schema/type-lattice.ts).
      expect(json(old.w_boolean_json)).toBe('false')
      expect(json(old.w_bigint_json)).toBe('7')
      expect(json(old.w_double_json)).toBe('2.25')
      expect(json(old.w_timestamp_json)).toBe('2024-01-02T03:04:05.678Z')
      expect(json(old.w_text_json)).toBe('abc')
      const added = got.find((r) => r.id === 'new')!
      expect(added.w_bigint_text).toBe('00123') // not coerced back to 123 by column affinity
      expect(json(added.w_text_json)).toEqual({ k: [1, 2] })
      expect(added.w_boolean_text).toBe('maybe')
      const schema = (await d.readSchema())[0]!
      for (const [f, t] of paths) expect(schema.columns.find((c) => c.name === name(f, t))!.type).toBe(t)
      const history = await rows(d, sql`select count(*) as n from _okta_elt_schema_changes where kind = 'widen_column' and load_id = 'load-2'`)
      expect(Number(history[0]!.n)).toBe(paths.length + 1)
      // a narrowing request is ignored (the column is already wider): values stay
      await d.commitBatch(commit({ loadId: 'load-3', schemaChanges: [{ kind: 'widen_column', table: 'widen', column: 'w_text_json', from: 'json', to: 'text' }] }))
      expect((await d.readSchema())[0]!.columns.find((c) => c.name === 'w_text_json')!.type).toBe('json')
    })

    it('merges by single primary key: update in place, absent columns cleared, duplicates keep the last', async () => {
      const d = await fresh()
      await d.startLoad({ loadId: 'load-1', runId: 'r1', resource: 'users', startedAt: new Date('2024-01-01T00:00:00Z') })
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: users }],
          writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u1'), user('u2')] } }],
          counts: { rows: 2 },
        }),
      )
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          writes: [
            {
              mode: 'merge',
              rows: {
                table: 'users',
                columns: ['id', 'status', 'profile__department'],
                rows: [
                  ['u1', 'SUSPENDED', 'Sales'],
                  ['u1', 'DEPROVISIONED', 'Sales'],
                ],
              },
            },
          ],
        }),
      )
      const got = await rows(d, sql`select id, status, profile__department, profile__score, _load_id from users order by id`)
      expect(got).toEqual([
        { id: 'u1', status: 'DEPROVISIONED', profile__department: 'Sales', profile__score: null, _load_id: 'load-2' },
        { id: 'u2', status: 'ACTIVE', profile__department: 'Engineering', profile__score: 4.5, _load_id: 'load-1' },
      ])
    })

    it('merges a batch of keys new to the table as it merges one of known keys: duplicates, keys that need escaping, then new and known keys mixed', async () => {
      // Postgres and DuckDB write a batch of new keys straight into the table (no staging, no
      // merge statement): the rows must be the ones the merge would leave.
      const d = await fresh()
      const cols = ['id', 'status', 'profile__department']
      const merge = (loadId: string, rs: (string | null)[][]) => d.commitBatch(commit({ loadId, writes: [{ mode: 'merge', rows: { table: 'users', columns: cols, rows: rs } }] }))
      await d.commitBatch(commit({ schemaChanges: [{ kind: 'create_table', table: users }] }))
      await merge('load-1', [['u1', 'STAGED', 'A'], ['u5', 'ACTIVE', 'E'], ['u1', 'ACTIVE', null]])
      await merge('load-1', [['u\\2', 'ACTIVE', 'B'], ['u\t3', 'ACTIVE', 'C']])
      await merge('load-2', [['u4', 'ACTIVE', 'D'], ['u\\2', 'SUSPENDED', 'B2'], ['u4', 'PROVISIONED', 'D2']])
      const got = (await rows(d, sql`select id, status, profile__department, _load_id, _deleted_at from users`)).sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1))
      expect(got).toEqual([
        { id: 'u\t3', status: 'ACTIVE', profile__department: 'C', _load_id: 'load-1', _deleted_at: null },
        { id: 'u1', status: 'ACTIVE', profile__department: null, _load_id: 'load-1', _deleted_at: null },
        { id: 'u4', status: 'PROVISIONED', profile__department: 'D2', _load_id: 'load-2', _deleted_at: null },
        { id: 'u5', status: 'ACTIVE', profile__department: 'E', _load_id: 'load-1', _deleted_at: null },
        { id: 'u\\2', status: 'SUSPENDED', profile__department: 'B2', _load_id: 'load-2', _deleted_at: null },
      ])
    })

    it('merges by composite key, replaces per parent with sweeps, and clears _deleted_at on re-merge', async () => {
      const d = await fresh()
      const cols = ['group_id', 'user_id', 'role']
      await d.commitBatch(
        commit({
          resource: 'group_users',
          schemaChanges: [{ kind: 'create_table', table: groupUsers }],
          writes: [{ mode: 'merge', rows: { table: 'group_users', columns: cols, rows: [['g1', 'u1', 'a'], ['g1', 'u2', 'a'], ['g2', 'u1', 'b']] } }],
        }),
      )
      // group g1 re-read in load-2: u2 left, u3 joined, u1 changed role
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          resource: 'group_users',
          writes: [{ mode: 'merge', rows: { table: 'group_users', columns: cols, rows: [['g1', 'u1', 'owner'], ['g1', 'u3', 'a']] } }],
          sweeps: [{ table: 'group_users', where: { column: 'group_id', value: 'g1' } }],
        }),
      )
      const live = await rows(d, sql`select group_id, user_id, role from group_users where _deleted_at is null order by group_id, user_id`)
      expect(live).toEqual([
        { group_id: 'g1', user_id: 'u1', role: 'owner' },
        { group_id: 'g1', user_id: 'u3', role: 'a' },
        { group_id: 'g2', user_id: 'u1', role: 'b' },
      ])
      const gone = await rows(d, sql`select user_id, _deleted_at from group_users where _deleted_at is not null`)
      expect(gone.map((g) => g.user_id)).toEqual(['u2'])
      expect(Number.isNaN(Date.parse(iso(gone[0]!._deleted_at)!))).toBe(false)
      // u2 comes back: re-merge clears _deleted_at
      await d.commitBatch(commit({ loadId: 'load-3', resource: 'group_users', writes: [{ mode: 'merge', rows: { table: 'group_users', columns: cols, rows: [['g1', 'u2', 'a']] } }] }))
      expect(await rows(d, sql`select count(*) as n from group_users where _deleted_at is not null`)).toEqual([{ n: 0 }])
      expect(await d.countRows()).toEqual([{ table: 'group_users', rows: 4, deleted: 0 }])
    })

    it('appends with dedupe and replaces child rows of updated parents', async () => {
      const d = await fresh()
      const logCols = ['uuid', 'event_type', 'published']
      await d.commitBatch(
        commit({
          resource: 'system_log',
          schemaChanges: [{ kind: 'create_table', table: systemLog }, { kind: 'create_table', table: logTargets }],
          writes: [
            { mode: 'append', rows: { table: 'system_log', columns: logCols, rows: [['e1', 'user.session.start', '2024-01-01T00:00:00.000Z'], ['e2', 'x', '2024-01-01T00:00:01.000Z'], ['e1', 'DUPLICATE', '2024-01-01T00:00:00.000Z']] } },
            { mode: 'append', rows: { table: 'system_log__target', columns: ['_parent_id', '_idx', 'id', 'type'], rows: [['e1', 0, 't1', 'User'], ['e1', 1, 't2', 'App'], ['e2', 0, 't3', 'User']] } },
          ],
        }),
      )
      // the same events again (an overlapping page): nothing changes
      await d.commitBatch(
        commit({
          loadId: 'load-2',
          resource: 'system_log',
          writes: [{ mode: 'append', rows: { table: 'system_log', columns: logCols, rows: [['e2', 'CHANGED', '2024-01-01T00:00:01.000Z'], ['e3', 'y', '2024-01-01T00:00:02.000Z']] } }],
        }),
      )
      const events = await rows(d, sql`select uuid, event_type, _load_id from system_log order by uuid`)
      expect(events).toEqual([
        { uuid: 'e1', event_type: 'user.session.start', _load_id: 'load-1' },
        { uuid: 'e2', event_type: 'x', _load_id: 'load-1' },
        { uuid: 'e3', event_type: 'y', _load_id: 'load-2' },
      ])
      // e1's targets replaced: now one target; e2's untouched
      await d.commitBatch(
        commit({
          loadId: 'load-3',
          resource: 'system_log',
          writes: [{ mode: 'merge', rows: { table: 'system_log__target', columns: ['_parent_id', '_idx', 'id', 'type'], rows: [['e1', 0, 't9', 'Group']], replaceChildrenOf: ['e1'] } }],
        }),
      )
      const targets = await rows(d, sql`select _parent_id, _idx, id from system_log__target order by _parent_id, _idx`)
      expect(targets).toEqual([
        { _parent_id: 'e1', _idx: 0, id: 't9' },
        { _parent_id: 'e2', _idx: 0, id: 't3' },
      ])
      // replacing with no rows empties the parent's children
      await d.commitBatch(commit({ loadId: 'load-4', writes: [{ mode: 'merge', rows: { table: 'system_log__target', columns: ['_parent_id', '_idx', 'id', 'type'], rows: [], replaceChildrenOf: ['e2'] } }] }))
      expect((await d.countRows()).find((c) => c.table === 'system_log__target')).toEqual({ table: 'system_log__target', rows: 1, deleted: 0 })
    })

    it('marks deletes and full-refresh sweeps with _deleted_at', async () => {
      const d = await fresh()
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: users }],
          writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u1'), user('u2'), user('u3'), user('u4')] } }],
        }),
      )
      await d.commitBatch(commit({ loadId: 'load-2', deletes: [{ table: 'users', keys: [['u1'], ['nope']] }] }))
      const [first] = await rows(d, sql`select _deleted_at from users where id = 'u1'`)
      const stamp = iso(first!._deleted_at)
      expect(stamp).not.toBeNull()
      // a second delete keeps the first timestamp
      await new Promise((r) => setTimeout(r, 5))
      await d.commitBatch(commit({ loadId: 'load-3', deletes: [{ table: 'users', keys: [['u1']] }] }))
      expect(iso((await rows(d, sql`select _deleted_at from users where id = 'u1'`))[0]!._deleted_at)).toBe(stamp)
      // full refresh saw only u2 and u3: sweep marks u4
      await d.commitBatch(
        commit({
          loadId: 'load-4',
          writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u2'), user('u3')] } }],
          sweeps: [{ table: 'users' }],
        }),
      )
      expect(await d.countRows()).toEqual([{ table: 'users', rows: 2, deleted: 2 }])
      const deleted = await rows(d, sql`select id from users where _deleted_at is not null order by id`)
      expect(deleted.map((r) => r.id)).toEqual(['u1', 'u4'])
    })

    it('reads, writes and deletes cursor state; records loads', async () => {
      const d = await fresh()
      const started = new Date('2024-03-01T00:00:00.000Z')
      await d.startLoad({ loadId: 'load-1', runId: 'run-1', resource: 'users', startedAt: started })
      await d.startLoad({ loadId: 'load-0', runId: 'run-0', resource: 'groups', startedAt: new Date('2024-02-01T00:00:00.000Z') })
      await d.commitBatch(
        commit({
          state: [
            { resource: 'users', parentId: '', cursor: { lastUpdated: '2024-02-29T00:00:00.000Z', ids: ['a'] } },
            { resource: 'group_users', parentId: 'g1', cursor: 'etag-1' },
            { resource: 'group_users', parentId: 'g2', cursor: 3 },
          ],
          counts: { rows: 10 },
        }),
      )
      await d.commitBatch(commit({ state: [{ resource: 'users', parentId: '', cursor: { lastUpdated: '2024-03-01T00:00:00.000Z' } }], counts: { rows: 5 } }))
      const userState = await d.readState('users')
      expect(userState).toHaveLength(1)
      expect(userState[0]).toMatchObject({ resource: 'users', parentId: '', cursor: { lastUpdated: '2024-03-01T00:00:00.000Z' }, loadId: 'load-1' })
      expect(userState[0]!.updatedAt).toBeInstanceOf(Date)
      expect((await d.readState('group_users')).map((s) => [s.parentId, s.cursor])).toEqual([
        ['g1', 'etag-1'],
        ['g2', 3],
      ])
      await d.commitBatch(commit({ state: [{ resource: 'group_users', parentId: 'g1', cursor: null }] }))
      expect((await d.readState('group_users')).map((s) => s.parentId)).toEqual(['g2'])

      await d.finishLoad({ loadId: 'load-1', status: 'succeeded', finishedAt: new Date('2024-03-01T00:05:00.000Z') })
      await d.finishLoad({ loadId: 'load-0', status: 'failed', finishedAt: new Date('2024-02-01T00:01:00.000Z'), error: 'E0000047 rate limited' })
      const loads = await d.readLoads()
      expect(loads).toEqual([
        { loadId: 'load-1', runId: 'run-1', resource: 'users', status: 'succeeded', startedAt: started, finishedAt: new Date('2024-03-01T00:05:00.000Z'), rows: 15, batches: 3, error: null },
        { loadId: 'load-0', runId: 'run-0', resource: 'groups', status: 'failed', startedAt: new Date('2024-02-01T00:00:00.000Z'), finishedAt: new Date('2024-02-01T00:01:00.000Z'), rows: 0, batches: 0, error: 'E0000047 rate limited' },
      ])
      expect(await d.readLoads({ limit: 1 })).toHaveLength(1)
    })

    it('leaves nothing behind when a batch fails between rows and commit', async () => {
      let fail = true
      const d = await fresh({
        beforeCommit: () => {
          if (fail) throw new Error('injected failure before commit')
        },
      })
      await d.startLoad({ loadId: 'load-1', runId: 'r', resource: 'users', startedAt: new Date() })
      const batch = commit({
        schemaChanges: [{ kind: 'create_table', table: users }],
        writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u1'), user('u2')] } }],
        state: [{ resource: 'users', parentId: '', cursor: { lastUpdated: 'x' } }],
        counts: { rows: 2 },
      })
      await expect(d.commitBatch(batch)).rejects.toThrow('injected failure before commit')
      expect(await d.readSchema()).toEqual([])
      expect(await d.readState('users')).toEqual([])
      expect((await d.readLoads())[0]).toMatchObject({ rows: 0, batches: 0 })
      const tables = await rows(d, dc.kind === 'sqlite' ? sql`select name from sqlite_master where name = 'users'` : sql`select table_name as name from information_schema.tables where table_schema = current_schema() and table_name = 'users'`)
      expect(tables).toEqual([])

      // the same batch goes through once the failure is gone
      fail = false
      await d.commitBatch(batch)
      expect(await d.countRows()).toEqual([{ table: 'users', rows: 2, deleted: 0 }])

      // a database-side failure after the rows (delete from a table that does not exist) rolls back too
      await expect(
        d.commitBatch(
          commit({
            loadId: 'load-1',
            schemaChanges: [{ kind: 'add_column', table: 'users', column: { name: 'extra', path: ['extra'], type: 'text' } }],
            writes: [{ mode: 'merge', rows: { table: 'users', columns: [...userCols, 'extra'], rows: [user('u3').concat('x')] } }],
            state: [{ resource: 'users', parentId: '', cursor: { lastUpdated: 'y' } }],
            deletes: [{ table: 'no_such_table', keys: [['u1']] }],
          }),
        ),
      ).rejects.toMatchObject({ code: 'ERR_DESTINATION_SCHEMA' })
      expect(await d.countRows()).toEqual([{ table: 'users', rows: 2, deleted: 0 }])
      expect((await d.readState('users'))[0]!.cursor).toEqual({ lastUpdated: 'x' })
      expect((await d.readSchema())[0]!.columns.some((c) => c.name === 'extra')).toBe(false)
      // and the destination keeps working with the shape it really has
      await d.commitBatch(commit({ writes: [{ mode: 'merge', rows: { table: 'users', columns: userCols, rows: [user('u3')] } }] }))
      expect(await d.countRows()).toEqual([{ table: 'users', rows: 3, deleted: 0 }])
    })

    it('answers "active users per department" and "members of group X with last login" in plain SQL', async () => {
      const d = await fresh()
      await d.commitBatch(
        commit({
          schemaChanges: [{ kind: 'create_table', table: users }, { kind: 'create_table', table: groupUsers }],
          writes: [
            {
              mode: 'merge',
              rows: {
                table: 'users',
                columns: userCols,
                rows: [
                  user('u1'),
                  user('u2', { profile__department: 'Sales', last_login: '2024-06-03T00:00:00.000Z' }),
                  user('u3', { profile__department: 'Sales' }),
                  user('u4', { status: 'DEPROVISIONED', profile__department: 'Sales' }),
                  user('u5', { profile__department: 'Engineering', last_login: null }),
                ],
              },
            },
            { mode: 'merge', rows: { table: 'group_users', columns: ['group_id', 'user_id', 'role'], rows: [['gX', 'u2', null], ['gX', 'u5', null], ['gY', 'u1', null]] } },
          ],
          deletes: [{ table: 'users', keys: [['u3']] }],
        }),
      )
      const perDept = await rows(
        d,
        sql`select profile__department as department, count(*) as active
            from users where status = 'ACTIVE' and _deleted_at is null
            group by profile__department order by department`,
      )
      expect(perDept).toEqual([
        { department: 'Engineering', active: 2 },
        { department: 'Sales', active: 1 },
      ])
      const members = await rows(
        d,
        sql`select u.id, u.last_login from group_users gu join users u on u.id = gu.user_id
            where gu.group_id = 'gX' and gu._deleted_at is null order by u.last_login desc nulls last`,
      )
      expect(members.map((m) => [m.id, iso(m.last_login)])).toEqual([
        ['u2', '2024-06-03T00:00:00.000Z'],
        ['u5', null],
      ])
      // timestamps compare as timestamps in both (ISO text sorts chronologically in SQLite)
      const recent = await rows(d, sql`select count(*) as n from users where last_login > '2024-06-02T00:00:00.000Z'`)
      expect(recent).toEqual([{ n: 1 }])
    })
  })
}
