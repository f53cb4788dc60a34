import { describe, expect, it } from 'vitest'
import { HistoryTimeline, type TimedEffect } from '../../src/history/timeline.ts'
import { historyChanges, historyTwin } from '../../src/schema/history-twin.ts'
import type { TableDef } from '../../src/schema/types.ts'

const HORIZON = '2026-09-01T00:00:00.000Z'
const t = (day: number) => new Date(Date.UTC(2026, 9, day)).toISOString()
const eff = (kind: 'open' | 'close', key: string[], day: number): TimedEffect => ({ kind, key, at: t(day) })

describe('history timeline (pure)', () => {
  it('a first load: added then removed is an interval; removed with nothing before it began at the horizon; a trailing add is left to the open step', () => {
    const timeline = new HistoryTimeline(
      [eff('close', ['g1', 'u2'], 5), eff('open', ['g1', 'u1'], 2), eff('close', ['g1', 'u1'], 4), eff('open', ['g1', 'u3'], 6)],
      { horizon: HORIZON, first: true },
    )
    expect(timeline.pastIntervals()).toEqual(
      expect.arrayContaining([
        { key: ['g1', 'u1'], from: t(2), to: t(4), source: 'system_log' },
        { key: ['g1', 'u2'], from: HORIZON, to: t(5), source: 'log_horizon' },
      ]),
    )
    expect(timeline.pastIntervals()).toHaveLength(2)
  })

  it('a later load claims nothing before its window: a leading removal closes the open interval instead', () => {
    const timeline = new HistoryTimeline([eff('close', ['g1', 'u2'], 5), eff('open', ['g1', 'u2'], 6), eff('close', ['g1', 'u2'], 7)], { horizon: HORIZON, first: false })
    expect(timeline.pastIntervals()).toEqual([{ key: ['g1', 'u2'], from: t(6), to: t(7), source: 'system_log' }])
  })

  it('one-part events (a role granted to a user) time rows but show no interval', () => {
    const timeline = new HistoryTimeline([eff('open', ['u1'], 2), eff('close', ['u1'], 3)], { horizon: HORIZON, first: true })
    expect(timeline.pastIntervals()).toEqual([])
    expect(timeline.eventsFor({ keys: [['u1', 'role-a']], parents: [], all: false })).toHaveLength(2)
  })

  it('a commit gets the events of the keys it writes and of the parents it replaces, all of them for a whole-table reconcile', () => {
    const all = [eff('open', ['g1', 'u1'], 2), eff('open', ['g2', 'u1'], 3), eff('close', ['g3', 'u9'], 4)]
    const timeline = new HistoryTimeline(all, { horizon: HORIZON, first: false })
    expect(timeline.eventsFor({ keys: [['g1', 'u1']], parents: [], all: false })).toEqual([all[0]])
    expect(timeline.eventsFor({ keys: [], parents: ['g3'], all: false })).toEqual([all[2]])
    expect(timeline.eventsFor({ keys: [], parents: [], all: true })).toHaveLength(3)
  })
})

describe('history table shape (pure)', () => {
  const users: TableDef = { name: 'users', primaryKey: ['id'], columns: [{ name: 'id', path: ['id'], type: 'text' }, { name: 'status', path: ['status'], type: 'text' }] }

  it('is the table plus the interval, keyed by the key and _valid_from', () => {
    const twin = historyTwin(users)
    expect(twin.name).toBe('users_history')
    expect(twin.primaryKey).toEqual(['id', '_valid_from'])
    expect(twin.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['id text', 'status text', '_valid_from timestamp', '_valid_to timestamp', '_valid_source text'])
  })

  it('follows its table: created with it, then every added column and widening repeated on it', () => {
    const first = historyChanges({ changes: [{ kind: 'create_table', table: users }], tracked: new Set(['users']), tablesAfter: new Map([['users', users]]), existedBefore: new Set() })
    expect(first.created).toEqual(['users'])
    expect(first.changes).toEqual([{ kind: 'create_table', table: historyTwin(users) }])
    const later = historyChanges({
      changes: [{ kind: 'add_column', table: 'users', column: { name: 'title', path: ['profile', 'title'], type: 'text' } }, { kind: 'widen_column', table: 'users', column: 'status', from: 'text', to: 'json' }],
      tracked: new Set(['users']),
      tablesAfter: new Map([['users', users]]),
      existedBefore: new Set(['users', 'users_history']),
    })
    expect(later.created).toEqual([])
    expect(later.changes.map((c) => `${c.kind} ${c.table}`)).toEqual(['add_column users_history', 'widen_column users_history'])
  })

  it("a table that gains history later gets its twin from the shape it had before this commit, then this commit's changes", () => {
    const after: TableDef = { ...users, columns: [...users.columns, { name: 'title', path: ['profile', 'title'], type: 'text' }] }
    const out = historyChanges({
      changes: [{ kind: 'add_column', table: 'users', column: { name: 'title', path: ['profile', 'title'], type: 'text' } }],
      tracked: new Set(['users']),
      tablesAfter: new Map([['users', after]]),
      existedBefore: new Set(['users']),
    })
    expect(out.created).toEqual(['users'])
    expect(out.changes).toEqual([
      { kind: 'create_table', table: historyTwin(users) },
      { kind: 'add_column', table: 'users_history', column: { name: 'title', path: ['profile', 'title'], type: 'text' } },
    ])
  })
})
