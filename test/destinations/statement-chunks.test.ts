import { describe, expect, it } from 'vitest'
import { statementChunks } from '../../src/destinations/statement-chunks.ts'

describe('statementChunks', () => {
  it('keeps every item once, in order, in full chunks then distinct powers of two', () => {
    for (const n of [0, 1, 2, 3, 7, 499, 500, 501, 1234, 2000]) {
      const items = Array.from({ length: n }, (_, i) => i)
      const chunks = [...statementChunks(items, 500)]
      expect(chunks.flat()).toEqual(items)
      const rest = chunks.map((c) => c.length).filter((l) => l !== 500)
      for (const l of rest) expect(Math.log2(l) % 1).toBe(0)
      expect(new Set(rest).size).toBe(rest.length)
    }
  })

  it('meets at most log2(max) + 2 sizes over every count', () => {
    const sizes = new Set<number>()
    for (let n = 1; n <= 1500; n++) for (const c of statementChunks(Array.from({ length: n }), 500)) sizes.add(c.length)
    expect(sizes.size).toBeLessThanOrEqual(Math.floor(Math.log2(500)) + 2)
  })
})
