import { describe, expect, it } from 'vitest'
import { orderResources, RESOURCES, resourceStages, waitsFor } from '../../src/resources/index.ts'
import { BoundedChannel } from '../../src/resources/strategies/bounded-channel.ts'
import { laterTime, sinceWatermark } from '../../src/resources/strategies/cursor.ts'
import { fanOut } from '../../src/resources/strategies/fan-out.ts'
import { readStringMap, SeenSet, versionOf, versionTime } from '../../src/resources/strategies/seen-set.ts'
import { deletionsFromEvents } from '../../src/resources/system-log.ts'
import { RESOURCE_NAMES } from '../../src/resources/types.ts'

describe('cursor math', () => {
  it('re-reads the watermark millisecond itself, minus the lookback', () => {
    expect(sinceWatermark('2024-05-01T10:00:00.000Z', 0)).toBe('2024-05-01T09:59:59.999Z')
    expect(sinceWatermark('2024-05-01T10:00:00.000Z', 5 * 60_000)).toBe('2024-05-01T09:54:59.999Z')
  })

  it('keeps the later timestamp and ignores garbage', () => {
    expect(laterTime(undefined, '2024-01-01T00:00:00.000Z')).toBe('2024-01-01T00:00:00.000Z')
    expect(laterTime('2024-01-02T00:00:00.000Z', '2024-01-01T00:00:00.000Z')).toBe('2024-01-02T00:00:00.000Z')
    expect(laterTime('2024-01-02T00:00:00.000Z', null)).toBe('2024-01-02T00:00:00.000Z')
    expect(laterTime('2024-01-02T00:00:00.000Z', 'not a date')).toBe('2024-01-02T00:00:00.000Z')
    // Compared as instants, not as strings.
    expect(laterTime('2024-01-02T00:00:00.000Z', '2024-01-02T01:00:00.000+02:00')).toBe('2024-01-02T00:00:00.000Z')
  })
})

describe('SeenSet', () => {
  const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString()

  it('versions are the change timestamps; equal version means the same object', () => {
    expect(versionOf([at(1)])).toBe(at(1))
    expect(versionOf([at(1), null])).toBe(`${at(1)},`)
    expect(versionOf([null, undefined])).toBeUndefined()
    // Not parsed here; a version without a valid time is never kept as seen (below).
    expect(versionOf(['garbage'])).toBe('garbage')
    expect(versionTime(`${at(1)},${at(3)}`)).toBe(Date.parse(at(3)))
    const seen = new SeenSet(new Map([['a', at(1)]]))
    expect(seen.has('a', at(1))).toBe(true)
    expect(seen.has('a', at(2))).toBe(false)
    expect(seen.has('b', at(1))).toBe(false)
    seen.add('a', at(2))
    expect(seen.has('a', at(2))).toBe(true)
    expect(seen.has('a', at(1))).toBe(false)
    seen.add('c', 'garbage')
    expect(seen.size).toBe(1)
  })

  it('prunes what falls before the window, then keeps at most its cap, the latest', () => {
    const seen = new SeenSet(new Map(), 3)
    for (let m = 0; m < 10; m++) seen.add(`id${m}`, at(m))
    // Never more than twice the cap between prunes.
    expect(seen.size).toBeLessThanOrEqual(6)
    seen.prune(Date.parse(at(0)))
    expect(seen.toJSON()).toEqual({ id7: at(7), id8: at(8), id9: at(9) })
    seen.prune(Date.parse(at(9)))
    expect(seen.toJSON()).toEqual({ id9: at(9) })
  })

  it('reads only string entries of a cursor map', () => {
    expect([...readStringMap({ seen: { a: at(1), b: 3, c: null } }, 'seen')]).toEqual([['a', at(1)]])
    expect(readStringMap({ seen: ['a'] }, 'seen').size).toBe(0)
    expect(readStringMap(null, 'seen').size).toBe(0)
  })
})

describe('registry ordering', () => {
  it('puts children after their parents and independents together', () => {
    expect(resourceStages(RESOURCE_NAMES)).toEqual([
      // user_roles, group_roles and user_factors list their parents themselves: no waiting, and a
      // failed users or groups load does not stop them.
      ['users', 'groups', 'apps', 'system_log', 'user_roles', 'group_roles', 'user_factors', 'group_rules', 'user_types', 'user_schema'],
      ['group_users', 'apps_assigned', 'app_groups'],
    ])
    expect(orderResources(['apps_assigned', 'apps'])).toEqual(['apps', 'apps_assigned'])
    expect(orderResources(['group_users'])).toEqual(['group_users'])
  })

  it('only waits for selected resources', () => {
    expect(waitsFor('apps_assigned', RESOURCE_NAMES)).toEqual(['apps'])
    expect(waitsFor('apps_assigned', ['apps_assigned', 'apps'])).toEqual(['apps'])
  })

  it('declares every resource under its own name', () => {
    for (const name of RESOURCE_NAMES) expect(RESOURCES[name].name).toBe(name)
  })
})

describe('BoundedChannel', () => {
  it('blocks producers while full and delivers in order', async () => {
    const ch = new BoundedChannel<number>(2)
    await ch.push(1)
    await ch.push(2)
    let third = false
    const p = ch.push(3).then(() => (third = true))
    await new Promise((r) => setTimeout(r, 10))
    expect(third).toBe(false)
    expect(await ch.next()).toEqual({ done: false, value: 1 })
    await p
    expect(third).toBe(true)
    ch.close()
    expect(await ch.next()).toEqual({ done: false, value: 2 })
    expect(await ch.next()).toEqual({ done: false, value: 3 })
    expect(await ch.next()).toEqual({ done: true, value: undefined })
  })

  it('rejects readers and writers when closed with an error', async () => {
    const ch = new BoundedChannel<number>(1)
    await ch.push(1)
    const blocked = ch.push(2)
    ch.close({ reason: new Error('boom') })
    await expect(blocked).rejects.toThrow('boom')
    await expect(ch.next()).rejects.toThrow('boom')
  })
})

describe('fanOut', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('never runs more workers than its concurrency nor holds more than capacity + concurrency items', async () => {
    let active = 0
    let maxActive = 0
    let produced = 0
    let consumed = 0
    let maxOutstanding = 0
    const parents = Array.from({ length: 20 }, (_, i) => i)
    const out: string[] = []
    for await (const item of fanOut<number, string>(parents, { concurrency: 3, capacity: 2 }, async (p, emit) => {
      active++
      maxActive = Math.max(maxActive, active)
      for (let page = 0; page < 3; page++) {
        await sleep(1)
        produced++
        maxOutstanding = Math.max(maxOutstanding, produced - consumed)
        await emit(`${p}:${page}`)
      }
      active--
    })) {
      consumed++
      out.push(item)
      await sleep(2)
    }
    expect(out).toHaveLength(60)
    expect(maxActive).toBeLessThanOrEqual(3)
    expect(maxOutstanding).toBeLessThanOrEqual(2 + 3 + 1)
    // Pages of one parent keep their order.
    for (const p of parents) {
      const pages = out.filter((s) => s.startsWith(`${p}:`))
      expect(pages).toEqual([`${p}:0`, `${p}:1`, `${p}:2`])
    }
  })

  it('throws the first worker error and aborts the others', async () => {
    const aborted: number[] = []
    const run = async () => {
      for await (const _ of fanOut<number, number>([1, 2, 3], { concurrency: 3 }, async (p, emit, signal) => {
        if (p === 2) {
          await sleep(5)
          throw new Error('parent 2 failed')
        }
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => {
          aborted.push(p)
          resolve()
        }))
        await emit(p)
      })) {
        // nothing
      }
    }
    await expect(run()).rejects.toThrow('parent 2 failed')
    expect(aborted.sort()).toEqual([1, 3])
  })

  it('stops its workers when the consumer stops early', async () => {
    let started = 0
    for await (const item of fanOut<number, number>([1, 2, 3, 4, 5, 6], { concurrency: 2 }, async (p, emit) => {
      started++
      await emit(p)
      await emit(p)
    })) {
      if (item) break
    }
    expect(started).toBeLessThanOrEqual(3)
  })
})

describe('System Log deletions', () => {
  it('maps delete events to deletes and cascades of the deleted records, skipping failures and other events', () => {
    const derived = deletionsFromEvents([
      { eventType: 'user.lifecycle.delete.completed', outcome: { result: 'SUCCESS' }, published: '2026-06-30T10:00:00.000Z', target: [{ id: '00u1', type: 'User' }] },
      { eventType: 'user.lifecycle.delete.completed', outcome: { result: 'FAILURE' }, target: [{ id: '00u2', type: 'User' }] },
      { eventType: 'user.lifecycle.delete.initiated', target: [{ id: '00u3', type: 'User' }] },
      { eventType: 'group.lifecycle.delete', target: [{ id: '00g1', type: 'UserGroup' }] },
      { eventType: 'application.lifecycle.delete', target: [{ id: '0oa1', type: 'AppInstance' }, { id: '00u9', type: 'User' }] },
      { eventType: 'application.lifecycle.delete', target: null },
    ])
    // Each with when it went (the event's published time), for the history tables.
    expect(derived.deletes).toEqual([
      { resource: 'users', keys: [['00u1']], times: ['2026-06-30T10:00:00.000Z'] },
      { resource: 'groups', keys: [['00g1']], times: [undefined] },
      { resource: 'apps', keys: [['0oa1']], times: [undefined] },
    ])
    expect(derived.cascades).toEqual([
      { resource: 'users', id: '00u1', at: '2026-06-30T10:00:00.000Z' },
      { resource: 'groups', id: '00g1' },
      { resource: 'apps', id: '0oa1' },
    ])
  })
})
