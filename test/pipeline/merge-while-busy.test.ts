import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { mergeWhileBusy } from '../../src/pipeline/merge-while-busy.ts'
import { RowsInFlight } from '../../src/pipeline/rows-in-flight.ts'

async function* numbers(n: number, opts: { delayMs?: number; failAfter?: number; onFinally?: () => void; produced?: number[] } = {}) {
  try {
    for (let i = 1; i <= n; i++) {
      if (opts.failAfter !== undefined && i > opts.failAfter) throw new Error(`source failed at ${i}`)
      if (opts.delayMs) await sleep(opts.delayMs)
      opts.produced?.push(i)
      yield i
    }
  } finally {
    opts.onFinally?.()
  }
}

const one = () => 1

describe('mergeWhileBusy', () => {
  it('hands over each item alone while the consumer keeps up', async () => {
    const groups: number[][] = []
    for await (const g of mergeWhileBusy(numbers(5, { delayMs: 5 }), one, 10)) groups.push(g)
    expect(groups).toEqual([[1], [2], [3], [4], [5]])
  })

  it('merges what piled up while the consumer was busy, in order, never above the cap', async () => {
    const groups: number[][] = []
    for await (const g of mergeWhileBusy(numbers(40), one, 7)) {
      groups.push(g)
      await sleep(10) // a slow commit
    }
    expect(groups.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(groups.length).toBeLessThan(40)
    expect(Math.max(...groups.map((g) => g.length))).toBeLessThanOrEqual(7)
    expect(groups.some((g) => g.length > 1)).toBe(true)
  })

  it('never splits an item heavier than the cap, and weighs items by their rows', async () => {
    const groups: number[][] = []
    for await (const g of mergeWhileBusy(numbers(6), (n) => (n === 3 ? 100 : 2), 5)) {
      groups.push(g)
      await sleep(5)
    }
    expect(groups.flat()).toEqual([1, 2, 3, 4, 5, 6])
    expect(groups.find((g) => g.includes(3))).toEqual([3])
    for (const g of groups) if (!g.includes(3)) expect(g.length * 2).toBeLessThanOrEqual(5)
  })

  it('keeps memory bounded: the producer waits while the cap is queued', async () => {
    const produced: number[] = []
    let consumed = 0
    let maxAhead = 0
    for await (const g of mergeWhileBusy(numbers(50, { produced }), one, 4)) {
      consumed += g.length
      await sleep(5)
      maxAhead = Math.max(maxAhead, produced.length - consumed)
    }
    expect(consumed).toBe(50)
    // The queue (≤ 4) plus the item being pulled when the cap was reached.
    expect(maxAhead).toBeLessThanOrEqual(5)
  })

  it('yields what the source produced before failing, then throws its error', async () => {
    const seen: number[] = []
    await expect(async () => {
      for await (const g of mergeWhileBusy(numbers(10, { failAfter: 3 }), one, 100)) {
        seen.push(...g)
        await sleep(5)
      }
    }).rejects.toThrow('source failed at 4')
    expect(seen).toEqual([1, 2, 3])
  })

  it('closes the source when the consumer stops early', async () => {
    let closed = false
    for await (const g of mergeWhileBusy(numbers(1000, { onFinally: () => (closed = true) }), one, 3)) {
      if (g.includes(2)) break
    }
    expect(closed).toBe(true)
  })

  it('bounds the rows held by several resources together with a shared RowsInFlight, and every resource still moves', async () => {
    const shared = new RowsInFlight(6)
    let maxHeld = 0
    const consume = async (source: AsyncIterable<number>, commitMs: number) => {
      const got: number[] = []
      for await (const g of mergeWhileBusy(source, one, 5, shared)) {
        maxHeld = Math.max(maxHeld, shared.held)
        got.push(...g)
        await sleep(commitMs)
      }
      return got
    }
    // Without the shared budget three resources could hold 3 × (5 queued + 5 committing) = 30.
    const [a, b, c] = await Promise.all([consume(numbers(60), 4), consume(numbers(40), 7), consume(numbers(30), 2)])
    expect(a).toEqual(Array.from({ length: 60 }, (_, i) => i + 1))
    expect(b).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(c).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    // The limit, plus at most one page per resource beyond it (a resource holding nothing may take one).
    expect(maxHeld).toBeGreaterThan(0)
    expect(maxHeld).toBeLessThanOrEqual(6 + 3)
    expect(shared.held).toBe(0)
  })

  it('gives its rows back to the shared budget when the consumer stops early', async () => {
    const shared = new RowsInFlight(4)
    for await (const g of mergeWhileBusy(numbers(100), one, 3, shared)) {
      await sleep(5)
      if (g.includes(5)) break
    }
    expect(shared.held).toBe(0)
  })
})
