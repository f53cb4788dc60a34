import { describe, expect, it } from 'vitest'
import { Normalizer, SchemaError } from '../../src/schema/index.ts'
import type { ColumnType, SchemaChange, TableHints } from '../../src/schema/index.ts'
import { batchOf, columnOf, normalizeBoth, objects, pair, sample, tableOf, USERS, wire } from './helpers.ts'

const SAFE = /^[a-z_][a-z0-9_]*$/
const T: TableHints = { table: 't', primaryKey: [['id']] }

describe('flattening the Okta samples', () => {
  it('users: snake_case, nested objects, timestamps, arrays of scalars, _links as JSON', () => {
    const p = pair()
    const user = sample('user.json')
    const res = normalizeBoth(p, USERS, [user])
    const [row] = objects(batchOf(res, 'users'))
    expect(row).toMatchObject({
      id: '00ub0oNGTSWTBKOLGLNR',
      last_updated: '2013-07-02T21:36:25.344Z',
      type__id: 'oty1162QAr8hJjTaq0g4',
      profile__first_name: 'Isaac',
      profile__start_date: '2013-06-24',
      profile__entitlements: '["vpn","jira-admin"]',
      credentials__recovery_question__question: "What's my childhood elementary school?",
      credentials__provider__type: 'OKTA',
      _links: JSON.stringify(user._links),
    })
    const def = tableOf(p.compiled, 'users')
    const type = (name: string) => def.columns.find((c) => c.name === name)?.type
    expect(type('created')).toBe('timestamp')
    expect(type('profile__start_date')).toBe('text') // a date alone is not an instant
    expect(type('profile__entitlements')).toBe('json')
    expect(type('_links')).toBe('json')
    expect(def.primaryKey).toEqual(['id'])
    // `credentials.password: {}` produces nothing
    expect(def.columns.some((c) => c.name.startsWith('credentials__password'))).toBe(false)
    // system columns are in the DDL but not in the rows
    expect(def.columns.filter((c) => c.path.length === 0)).toEqual([
      { name: '_load_id', path: [], type: 'text' },
      { name: '_deleted_at', path: [], type: 'timestamp' },
    ])
    expect(batchOf(res, 'users').columns).not.toContain('_load_id')
    expect(batchOf(res, 'users').columns).not.toContain('_deleted_at')
    expect(res.changes).toEqual([{ kind: 'create_table', table: def }])
    for (const c of def.columns) expect(c.name).toMatch(SAFE)
  })

  it('groups: _embedded.stats typed, misspelled keys kept, arrays of scalars as JSON', () => {
    const p = pair()
    const res = normalizeBoth(p, { table: 'groups', primaryKey: [['id']], jsonPaths: [['_links']] }, [sample('group-with-stats.json')])
    const [row] = objects(batchOf(res, 'groups'))
    expect(row).toMatchObject({
      _embedded__stats__users_count: 42,
      _embedded__stats__has_admin_privlege: false,
      object_class: '["okta:user_group"]',
      profile__name: 'West Coast users',
      last_membership_updated: '2015-11-28T19:15:32.000Z',
    })
    expect(columnOf(p.compiled, 'groups', ['_embedded', 'stats', 'usersCount'])?.type).toBe('bigint')
    expect(columnOf(p.compiled, 'groups', ['_embedded', 'stats', 'hasAdminPrivlege'])?.type).toBe('boolean')
    // `_links.logo` is an array of objects but `_links` is declared JSON: no child table
    expect(p.compiled.tables().map((t) => t.name)).toEqual(['groups'])
  })

  it('apps: settings kept as one JSON column, null-only keys create nothing, [] is a JSON column', () => {
    const p = pair()
    const app = sample('app-saml.json')
    const hints: TableHints = { table: 'apps', primaryKey: [['id']], jsonPaths: [['settings'], ['_links']] }
    const res = normalizeBoth(p, hints, [app])
    const [row] = objects(batchOf(res, 'apps'))
    expect(JSON.parse(row?.settings as string)).toEqual(app.settings)
    expect(row).toMatchObject({ visibility__hide__i_os: false, accessibility__self_service: false, sign_on_mode: 'SAML_2_0' })
    const names = tableOf(p.compiled, 'apps').columns.map((c) => c.name)
    expect(names.filter((n) => n.startsWith('settings'))).toEqual(['settings'])
    expect(names).not.toContain('accessibility__error_redirect_url') // only ever null
    // `[]` is '[]' whether or not the column existed before (order independence)
    expect(row?.features).toBe('[]')
    // a later non-null value creates the column with its real type
    const later = normalizeBoth(p, hints, [{ ...app, features: ['PUSH_NEW_USERS'], accessibility: { errorRedirectUrl: 'https://x' } }])
    expect(later.changes).toEqual([
      { kind: 'add_column', table: 'apps', column: { name: 'accessibility__error_redirect_url', path: ['accessibility', 'errorRedirectUrl'], type: 'text' } },
    ])
    expect(objects(batchOf(later, 'apps'))[0]).toMatchObject({ features: '["PUSH_NEW_USERS"]', accessibility__self_service: null })
  })

  it('app users: composite key, free-form profile as JSON', () => {
    const p = pair()
    const hints: TableHints = { table: 'apps_assigned', primaryKey: [['app_id'], ['user_id']], jsonPaths: [['profile'], ['_links']] }
    const res = normalizeBoth(p, hints, [{ app_id: '0oa1', user_id: '00u15s1KDETTQMQYABRL', ...sample('app-user.json') }])
    expect(tableOf(p.compiled, 'apps_assigned').primaryKey).toEqual(['app_id', 'user_id'])
    const [row] = objects(batchOf(res, 'apps_assigned'))
    expect(JSON.parse(row?.profile as string)).toMatchObject({ salesforceGroups: ['Employee'], profile: 'Standard User' })
    expect(row).toMatchObject({ scope: 'USER', credentials__user_name: 'saml.jackson@example.com' })
    expect(row).not.toHaveProperty('password_changed') // only ever null so far
  })
})

describe('child tables', () => {
  const LOG: TableHints = { table: 'system_log', primaryKey: [['uuid']], jsonPaths: [['debugContext', 'debugData'], ['target', 'detailEntry']] }

  it('turns arrays of objects into <table>__<path> with _parent_id and _idx', () => {
    const p = pair()
    const event = sample('log-event.json')
    const res = normalizeBoth(p, LOG, [event])
    expect(res.batches.map((b) => b.table)).toEqual(['system_log', 'system_log__request__ip_chain', 'system_log__target'])
    const targets = objects(batchOf(res, 'system_log__target'))
    expect(targets).toEqual([
      { _parent_id: event.uuid, _idx: 0, id: 'pfdfdhyjf0HMbkP2e1d7', type: 'AuthenticatorEnrollment', alternate_id: 'unknown', display_name: 'Okta Verify' },
      { _parent_id: event.uuid, _idx: 1, id: '0oatxlef9sQvvqInq5d6', type: 'AppInstance', alternate_id: 'Okta Admin Console', display_name: 'Okta Admin Console' },
    ])
    expect(objects(batchOf(res, 'system_log__request__ip_chain'))[0]).toMatchObject({ ip: '10.0.0.1', geographical_context__geolocation__lat: 40.3157 })
    const def = tableOf(p.compiled, 'system_log__target')
    expect(def).toMatchObject({ parent: 'system_log', path: ['target'], primaryKey: ['_parent_id', '_idx'] })
    expect(def.columns.filter((c) => c.path.length === 0)).toEqual([
      { name: '_parent_id', path: [], type: 'text' },
      { name: '_idx', path: [], type: 'bigint' },
      { name: '_load_id', path: [], type: 'text' },
    ])
    expect(objects(batchOf(res, 'system_log'))[0]).toMatchObject({ debug_context__debug_data: JSON.stringify({ requestId: 'ab609228fe84ce59cdcbfa690bcce016', requestUri: '/idp/idx/authenticators/poll', url: '/idp/idx/authenticators/poll' }) })
    // parents are created before their children
    expect(res.changes.map((c) => (c.kind === 'create_table' ? c.table.name : c.kind))).toEqual(['system_log', 'system_log__request__ip_chain', 'system_log__target'])
  })

  it('replaces the children of every parent in the batch, including arrays that shrank or vanished', () => {
    const p = pair()
    const base = sample('log-event.json')
    normalizeBoth(p, LOG, [base])
    const shrunk = { ...base, target: [{ id: 'only', type: 'User' }] }
    const gone = { ...structuredClone(base), uuid: 'u-gone' }
    delete (gone as Record<string, unknown>).target
    const emptied = { ...structuredClone(base), uuid: 'u-empty', target: [] }
    const res = normalizeBoth(p, LOG, [shrunk, gone, emptied])
    const targets = batchOf(res, 'system_log__target')
    expect(targets.replaceChildrenOf).toEqual([base.uuid, 'u-gone', 'u-empty'])
    expect(objects(targets)).toEqual([{ _parent_id: base.uuid, _idx: 0, id: 'only', type: 'User', alternate_id: null, display_name: null }])
    // `[]` is zero children and '[]' in the array's JSON column (so it differs from null and absent)
    expect(res.changes).toEqual([{ kind: 'add_column', table: 'system_log', column: { name: 'target', path: ['target'], type: 'json' } }])
    expect(objects(batchOf(res, 'system_log')).map((r) => r.target)).toEqual([null, null, '[]'])
  })

  it('emits a batch for every known child table even when this batch has no children at all', () => {
    const p = pair()
    normalizeBoth(p, LOG, [sample('log-event.json')])
    const res = normalizeBoth(p, LOG, [{ uuid: 'bare', eventType: 'x' }])
    expect(res.batches.map((b) => [b.table, b.rows.length, b.replaceChildrenOf])).toEqual([
      ['system_log', 1, undefined],
      ['system_log__request__ip_chain', 0, ['bare']],
      ['system_log__target', 0, ['bare']],
    ])
  })

  it('joins a composite parent key with / in _parent_id', () => {
    const p = pair()
    const res = normalizeBoth(p, { table: 'gu', primaryKey: [['group_id'], ['user_id']] }, [{ group_id: 'g1', user_id: 'u1', roles: [{ r: 'admin' }] }])
    expect(objects(batchOf(res, 'gu__roles'))).toEqual([{ _parent_id: 'g1/u1', _idx: 0, r: 'admin' }])
    expect(batchOf(res, 'gu__roles').replaceChildrenOf).toEqual(['g1/u1'])
  })

  it('keeps arrays inside child rows as JSON, skips null elements but keeps positions', () => {
    const p = pair()
    const rec = { id: 'a', items: [{ k: 1, tags: [{ t: 'x' }], list: [1, 2] }, null, { k: 2, tags: [] }] }
    const res = normalizeBoth(p, T, [rec])
    expect(objects(batchOf(res, 't__items'))).toEqual([
      { _parent_id: 'a', _idx: 0, k: 1, tags: '[{"t":"x"}]', list: '[1,2]' },
      { _parent_id: 'a', _idx: 2, k: 2, tags: '[]', list: null },
    ])
    expect(p.compiled.tables().map((t) => t.name)).toEqual(['t', 't__items'])
  })

  it('keeps mixed arrays and arrays of arrays as one JSON column', () => {
    const p = pair()
    const res = normalizeBoth(p, T, [{ id: 'a', mixed: [{ a: 1 }, 'x'], nested: [[1], [2]], nulls: [null] }])
    expect(objects(batchOf(res, 't'))[0]).toEqual({ id: 'a', mixed: '[{"a":1},"x"]', nested: '[[1],[2]]', nulls: '[null]' })
    expect(p.compiled.tables()).toHaveLength(1)
  })

  it('applies jsonPaths and ignorePaths below arrays to the child table', () => {
    const p = pair()
    const hints: TableHints = { ...LOG, ignorePaths: [['target', 'alternateId'], ['client']] }
    const event = sample('log-event.json')
    ;(event.target as Record<string, unknown>[])[0]!.detailEntry = { free: { form: 1 } }
    const res = normalizeBoth(p, hints, [event])
    const first = objects(batchOf(res, 'system_log__target'))[0]
    expect(first).toMatchObject({ detail_entry: '{"free":{"form":1}}' })
    expect(first).not.toHaveProperty('alternate_id')
    expect(batchOf(res, 'system_log').columns.some((c) => c.startsWith('client'))).toBe(false)
  })
})

describe('type inference and widening', () => {
  it('infers every type, exact digits for integers beyond ±2^53', () => {
    const p = pair()
    const big = 2n ** 64n + 7n
    const res = normalizeBoth(p, T, [
      { id: 'a', b: true, i: 42, l: 2n ** 62n, d: 1.25, ts: '2013-06-24T16:39:18.000Z', s: 'x', huge: big, arr: [1, 2n ** 70n] },
    ])
    const types = Object.fromEntries(tableOf(p.compiled, 't').columns.map((c) => [c.name, c.type]))
    expect(types).toMatchObject({ id: 'text', b: 'boolean', i: 'bigint', l: 'text', d: 'double', ts: 'timestamp', s: 'text', huge: 'text', arr: 'json' })
    expect(objects(batchOf(res, 't'))[0]).toMatchObject({ b: true, i: 42, l: String(2n ** 62n), d: 1.25, huge: '18446744073709551623', arr: '[1,1180591620717411303424]' })
  })

  // [first value, later value, column type after the first, after both, encoded first, encoded later]
  const WIDENINGS: [unknown, unknown, ColumnType, ColumnType, unknown, unknown][] = [
    [1, 1.5, 'bigint', 'double', 1, 1.5],
    [1, 'abc', 'bigint', 'text', '1', 'abc'],
    [2n ** 50n, 'abc', 'bigint', 'text', String(2n ** 50n), 'abc'],
    [2n ** 60n, 0.5, 'text', 'text', String(2n ** 60n), '0.5'], // beyond 2^53: text from the start, a double would round it
    [1.5, 'abc', 'double', 'text', '1.5', 'abc'],
    [1.5, 2n ** 60n + 1n, 'double', 'text', '1.5', String(2n ** 60n + 1n)],
    [1, 2n ** 64n, 'bigint', 'text', '1', String(2n ** 64n)],
    [true, 'yes', 'boolean', 'text', 'true', 'yes'],
    [true, 1, 'boolean', 'text', 'true', '1'],
    ['2013-06-24T16:39:18.000Z', 'soon', 'timestamp', 'text', '2013-06-24T16:39:18.000Z', 'soon'],
    ['2013-06-24T16:39:18.000Z', 7, 'timestamp', 'text', '2013-06-24T16:39:18.000Z', '7'],
    ['abc', ['x'], 'text', 'json', '"abc"', '["x"]'],
    // A scalar in a json column is the JSON string of its text, as when it went through text first.
    [1, [1], 'bigint', 'json', '"1"', '[1]'],
    [1.5, [], 'double', 'json', '"1.5"', '[]'],
    [true, ['x'], 'boolean', 'json', '"true"', '["x"]'],
    ['2013-06-24T16:39:18.000Z', [1], 'timestamp', 'json', '"2013-06-24T16:39:18.000Z"', '[1]'],
    [1, 'abc', 'bigint', 'text', '1', 'abc'],
  ]

  it.each(WIDENINGS)('%s then %s: %s → %s within one batch (earlier rows re-encoded, one create_table)', (a, b, _from, to, ea, eb) => {
    // …and the same values in the other order: the representation does not depend on it.
    const q = pair()
    const swapped = normalizeBoth(q, T, [{ id: '2', v: b }, { id: '1', v: a }])
    expect(objects(batchOf(swapped, 't')).map((r) => r.v)).toEqual([eb, ea])
    const p = pair()
    const res = normalizeBoth(p, T, [{ id: '1', v: a }, { id: '2', v: b }])
    expect(res.changes).toHaveLength(1)
    expect(columnOf(p.compiled, 't', ['v'])?.type).toBe(to)
    expect(objects(batchOf(res, 't')).map((r) => r.v)).toEqual([ea, eb])
  })

  it.each(WIDENINGS)('%s then %s: %s → %s across batches emits widen_column', (a, b, from, to, _ea, eb) => {
    const p = pair()
    normalizeBoth(p, T, [{ id: '1', v: a }])
    expect(columnOf(p.compiled, 't', ['v'])?.type).toBe(from)
    const res = normalizeBoth(p, T, [{ id: '2', v: b }, { id: '3', v: a }])
    expect(res.changes).toEqual(from === to ? [] : [{ kind: 'widen_column', table: 't', column: 'v', from, to }])
    expect(objects(batchOf(res, 't')).map((r) => r.v)[0]).toEqual(eb)
  })

  it('collapses several widenings of one column in one batch into one change', () => {
    const p = pair()
    normalizeBoth(p, T, [{ id: '1', v: 1 }])
    const res = normalizeBoth(p, T, [{ id: '2', v: 1.5 }, { id: '3', v: 'x' }, { id: '4', v: [1] }])
    expect(res.changes).toEqual([{ kind: 'widen_column', table: 't', column: 'v', from: 'bigint', to: 'json' }])
    expect(objects(batchOf(res, 't')).map((r) => r.v)).toEqual(['"1.5"', '"x"', '[1]'])
  })

  it('keeps values that fit a wider column without a change', () => {
    const p = pair()
    normalizeBoth(p, T, [{ id: '1', t: 'x', d: 1.5, j: [1] }])
    const res = normalizeBoth(p, T, [{ id: '2', t: 5, d: 3, j: 'str' }, { id: '3', t: true, d: 2n ** 40n, j: { nested: 1 } }])
    // `j: {nested: 1}` flattens next to the JSON column instead of widening anything
    expect(res.changes).toEqual([{ kind: 'add_column', table: 't', column: { name: 'j__nested', path: ['j', 'nested'], type: 'bigint' } }])
    expect(objects(batchOf(res, 't'))).toEqual([
      { id: '2', t: '5', d: 3, j: '"str"', j__nested: null },
      { id: '3', t: 'true', d: 2 ** 40, j: null, j__nested: 1 },
    ])
  })

  it('survives an object turning into a string and profile turning into a boolean', () => {
    const p = pair()
    const user = sample('user.json')
    normalizeBoth(p, USERS, [user])
    const odd = structuredClone(user)
    odd.id = 'odd'
    ;(odd.credentials as Record<string, unknown>).provider = 'OKTA'
    odd.profile = true
    const res = normalizeBoth(p, USERS, [odd, user])
    expect(res.changes).toEqual([
      { kind: 'add_column', table: 'users', column: { name: 'profile', path: ['profile'], type: 'boolean' } },
      { kind: 'add_column', table: 'users', column: { name: 'credentials__provider', path: ['credentials', 'provider'], type: 'text' } },
    ])
    const [a, b] = objects(batchOf(res, 'users'))
    expect(a).toMatchObject({ id: 'odd', credentials__provider: 'OKTA', credentials__provider__type: null, profile: true, profile__first_name: null })
    expect(b).toMatchObject({ credentials__provider: null, credentials__provider__type: 'OKTA', profile: null, profile__first_name: 'Isaac' })
  })
})

describe('schema evolution', () => {
  it('costs one add_column when a new attribute appears in one record of many', () => {
    const p = pair()
    const users: Record<string, unknown>[] = Array.from({ length: 1000 }, (_, i) => ({ ...sample('user.json'), id: `u${i}` }))
    normalizeBoth(p, USERS, users.slice(0, 500))
    const next = users.slice(500).map((u) => structuredClone(u))
    ;(next[137]!.profile as Record<string, unknown>).favoriteColor = 'teal'
    const res = normalizeBoth(p, USERS, next)
    expect(res.changes).toEqual([
      { kind: 'add_column', table: 'users', column: { name: 'profile__favorite_color', path: ['profile', 'favoriteColor'], type: 'text' } },
    ])
    const rows = objects(batchOf(res, 'users'))
    expect(rows.filter((r) => r.profile__favorite_color !== null).map((r) => r.id)).toEqual(['u637'])
    const width = batchOf(res, 'users').columns.length
    for (const row of batchOf(res, 'users').rows) expect(row).toHaveLength(width)
  })

  it('keeps the column order of a table shape stable across batches', () => {
    const p = pair()
    const a = normalizeBoth(p, USERS, [sample('user.json')])
    const b = normalizeBoth(p, USERS, [{ ...sample('user.json'), id: 'b' }, { id: 'c', status: 'ACTIVE' }])
    expect(batchOf(b, 'users').columns).toEqual(batchOf(a, 'users').columns)
  })

  it('keeps names stable in a Normalizer rebuilt from the stored schema', () => {
    const p = pair()
    const rec = wire('{"id":"1","profile":{"firstName":"A","first_name":"B"},"_load_id":"mine","list":[{"x":1}]}')
    normalizeBoth(p, T, [rec])
    const stored = p.compiled.tables()
    expect(stored[0]?.columns.map((c) => c.name)).toEqual(['id', 'profile__first_name', 'profile__first_name_2', '_load_id_2', '_load_id', '_deleted_at'])
    // Rebuild from a schema whose columns come back in another order, and send the keys reversed:
    // the stored path → name mapping wins, nothing changes.
    const shuffled = stored.map((t) => ({ ...t, columns: [...t.columns].reverse() }))
    const rebuilt = pair({ tables: shuffled })
    const reversed = wire('{"list":[{"x":2}],"_load_id":"again","profile":{"first_name":"D","firstName":"C"},"id":"2"}')
    const res = normalizeBoth(rebuilt, T, [reversed])
    expect(res.changes).toEqual([])
    expect(objects(batchOf(res, 't'))[0]).toMatchObject({ profile__first_name: 'C', profile__first_name_2: 'D', _load_id_2: 'again' })
    expect(objects(batchOf(res, 't__list'))[0]).toMatchObject({ x: 2 })
    // a new path whose natural name is taken gets the next suffix
    const more = normalizeBoth(rebuilt, T, [wire('{"id":"3","profile":{"First Name":"E"}}')])
    expect(more.changes).toEqual([
      { kind: 'add_column', table: 't', column: { name: 'profile__first_name_3', path: ['profile', 'First Name'], type: 'text' } },
    ])
  })

  it('adopts a stored child table whose path was not recorded', () => {
    const p = pair()
    normalizeBoth(p, T, [{ id: '1', list: [{ x: 1 }] }])
    const stored = p.compiled.tables().map((t) => {
      const { path: _path, ...rest } = t
      return rest
    })
    const rebuilt = pair({ tables: stored })
    const res = normalizeBoth(rebuilt, T, [{ id: '2', list: [{ x: 2 }] }])
    expect(res.changes).toEqual([])
    expect(rebuilt.compiled.tables().map((t) => [t.name, t.path])).toEqual([['t', undefined], ['t__list', ['list']]])
  })

  it('creates the table with its primary key even for an empty batch', () => {
    const p = pair()
    const res = normalizeBoth(p, T, [])
    expect(res.batches).toEqual([])
    expect(res.changes).toEqual([
      { kind: 'create_table', table: { name: 't', primaryKey: ['id'], columns: [{ name: 'id', path: ['id'], type: 'text' }, { name: '_load_id', path: [], type: 'text' }, { name: '_deleted_at', path: [], type: 'timestamp' }] } },
    ])
  })

  it('keeps the last occurrence of a key repeated within a batch, with its children', () => {
    const p = pair()
    const res = normalizeBoth(p, T, [{ id: 'a', v: 1, kids: [{ k: 1 }, { k: 2 }] }, { id: 'b', v: 2 }, { id: 'a', v: 3, kids: [{ k: 9 }] }])
    expect(objects(batchOf(res, 't')).map((r) => [r.id, r.v])).toEqual([['b', 2], ['a', 3]])
    expect(objects(batchOf(res, 't__kids')).map((r) => r.k)).toEqual([9])
    expect(batchOf(res, 't__kids').replaceChildrenOf).toEqual(['a', 'b'])
  })

  it('stores numeric primary keys as text and rejects records without one', () => {
    const p = pair()
    const res = normalizeBoth(p, T, [{ id: 7, v: 1 }])
    expect(objects(batchOf(res, 't'))[0]?.id).toBe('7')
    const n = new Normalizer({ tables: [], maxIdentifierBytes: 63, maxColumns: 100 })
    expect(() => n.normalize(T, [{ v: 1 }])).toThrow(SchemaError)
    try {
      n.normalize(T, [{ id: null }])
    } catch (err) {
      expect((err as SchemaError).code).toBe('ERR_SCHEMA_PRIMARY_KEY')
    }
    expect(() => n.normalize(T, [[1] as unknown as Record<string, unknown>])).toThrow(/not a JSON object/)
  })
})

describe('hostile keys', () => {
  const hostile = [
    'first name',
    "it's",
    'a"b',
    'x; DROP TABLE users; --',
    '--',
    'prénom',
    '名前',
    '住所',
    '🎉',
    '',
    'k'.repeat(120),
    'k'.repeat(1000),
    'j'.repeat(1000),
    'firstName',
    'first_name',
    '_load_id',
    '_deleted_at',
    '_overflow',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'a\u0000b',
  ]

  it.each([63, 30])('every key lands in a safe, unique column of at most %d bytes, with its value', (maxBytes) => {
    const p = pair({ maxIdentifierBytes: maxBytes })
    // Object.fromEntries and JSON.parse both keep `__proto__` as an own data property, like the wire.
    const withProto = wire(JSON.stringify(Object.fromEntries([['id', 'r1'], ...hostile.map((k, i) => [k, `v${i}`])])))
    expect(Object.hasOwn(withProto, '__proto__')).toBe(true)
    const res = normalizeBoth(p, T, [withProto])
    const def = tableOf(p.compiled, 't')
    const names = def.columns.map((c) => c.name)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) {
      expect(name).toMatch(SAFE)
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(maxBytes)
    }
    const row = objects(batchOf(res, 't'))[0]!
    for (const [i, key] of hostile.entries()) {
      const col = def.columns.find((c) => c.path.length === 1 && c.path[0] === key)
      expect(col, key).toBeDefined()
      expect(row[col!.name]).toBe(`v${i}`)
    }
    // system names were not given away
    expect(def.columns.filter((c) => ['_load_id', '_deleted_at', '_overflow'].includes(c.name)).every((c) => c.path.length === 0)).toBe(true)

    // the compiled extractor reads prototype-named keys as own properties only
    const res2 = normalizeBoth(p, T, [wire('{"id":"r2","firstName":"z"}'), withProto])
    const [r2] = objects(batchOf(res2, 't'))
    const ctor = def.columns.find((c) => c.path[0] === 'constructor')!.name
    const proto = def.columns.find((c) => c.path[0] === '__proto__')!.name
    expect(r2).toMatchObject({ [ctor]: null, [proto]: null })
    expect(res2.changes).toEqual([])
  })

  it('names child tables safely and within the limit', () => {
    const p = pair()
    const key = 'Weird; "Array" --' + 'z'.repeat(200)
    const res = normalizeBoth(p, T, [wire(JSON.stringify({ id: '1', [key]: [{ 'inner key': 1 }] }))])
    const child = res.batches[1]!
    expect(child.table).toMatch(SAFE)
    expect(child.table.length).toBeLessThanOrEqual(63)
    expect(child.table.startsWith('t__weird_array_zzz')).toBe(true)
    expect(objects(child)[0]).toMatchObject({ inner_key: 1 })
  })
})

describe('limits', () => {
  it('puts new keys into _overflow once the table reaches maxColumns', () => {
    const p = pair({ maxColumns: 10 })
    const rec = (i: number, keys: number) => ({ id: `r${i}`, profile: Object.fromEntries(Array.from({ length: keys }, (_, k) => [`a${k}`, k])) })
    // id + 7 data columns + _load_id + _deleted_at = 10 would leave no room for _overflow:
    // the 7th attribute goes to _overflow instead.
    const res = normalizeBoth(p, T, [rec(1, 10)])
    const def = tableOf(p.compiled, 't')
    expect(def.columns).toHaveLength(10)
    expect(def.columns.map((c) => c.name)).toEqual(['id', ...[0, 1, 2, 3, 4, 5].map((k) => `profile__a${k}`), '_overflow', '_load_id', '_deleted_at'])
    expect(JSON.parse(objects(batchOf(res, 't'))[0]!._overflow as string)).toEqual({ profile: { a6: 6, a7: 7, a8: 8, a9: 9 } })
    // later: still no failure, no change, values still kept
    const res2 = normalizeBoth(p, T, [rec(2, 3), { id: 'r3', profile: { zz: { deep: [1n, 2] } }, other: 'x' }])
    expect(res2.changes).toEqual([])
    const rows = objects(batchOf(res2, 't'))
    expect(rows[0]!._overflow).toBeNull()
    expect(rows[1]!._overflow).toBe('{"profile":{"zz":{"deep":[1,2]}},"other":"x"}')
    // and a rebuilt normalizer routes the same paths the same way
    const rebuilt = pair({ tables: p.compiled.tables(), maxColumns: 10 })
    const res3 = normalizeBoth(rebuilt, T, [rec(4, 10)])
    expect(res3.changes).toEqual([])
    expect(JSON.parse(objects(batchOf(res3, 't'))[0]!._overflow as string)).toEqual({ profile: { a6: 6, a7: 7, a8: 8, a9: 9 } })
  })

  it('takes 2,000 distinct custom attributes without failing or losing one', () => {
    const p = pair({ maxColumns: 1500 })
    const records = Array.from({ length: 2000 }, (_, i) => ({ id: `u${i}`, profile: { login: `u${i}@x`, [`custom${i}`]: i } }))
    const changes: SchemaChange[] = []
    const rows: Record<string, unknown>[] = []
    for (let i = 0; i < records.length; i += 500) {
      const res = normalizeBoth(p, USERS, records.slice(i, i + 500))
      changes.push(...res.changes)
      rows.push(...objects(batchOf(res, 'users')))
    }
    const def = tableOf(p.compiled, 'users')
    expect(def.columns).toHaveLength(1500)
    expect(changes.filter((c) => c.kind === 'add_column').length + (changes[0]?.kind === 'create_table' ? changes[0].table.columns.length : 0)).toBe(1500)
    for (const [i, row] of rows.entries()) {
      const col = def.columns.find((c) => c.path[1] === `custom${i}`)
      if (col !== undefined) expect(row[col.name]).toBe(i)
      else expect(JSON.parse(row._overflow as string)).toEqual({ profile: { [`custom${i}`]: i } })
    }
  })

  it('carries 100 KB values intact', () => {
    const p = pair()
    const big = 'x'.repeat(100 * 1024)
    const blob = { items: Array.from({ length: 2000 }, (_, i) => ({ i, s: 'y'.repeat(40) })) }
    const res = normalizeBoth(p, { ...T, jsonPaths: [['blob']] }, [{ id: '1', text: big, blob }])
    const [row] = objects(batchOf(res, 't'))
    expect(row!.text).toBe(big)
    expect((row!.blob as string).length).toBeGreaterThan(100 * 1024)
    expect(JSON.parse(row!.blob as string)).toEqual(blob)
  })
})
