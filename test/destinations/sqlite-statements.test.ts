import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SqliteDriver } from '../../src/destinations/sqlite/driver.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('SQLite statement cache', () => {
  it('keeps a statement from its second use on, so one-off multi-row texts never pile up in native memory', async () => {
    const dir = tempDir()
    const driver = new SqliteDriver(join(dir.dir, 'o.db'), 'sqlite:o.db')
    try {
      await driver.open()
      driver.handle.exec('create table t (a, b, c)')
      const rows = (n: number) => `insert into t values ${Array.from({ length: n }, () => '(?, ?, ?)').join(', ')}`
      // The first use is prepared and dropped; the second preparation is kept and reused.
      const once = rows(300)
      const first = driver.prepare(once)
      const second = driver.prepare(once)
      expect(second).not.toBe(first)
      expect(driver.prepare(once)).toBe(second)
      expect(driver.prepare(once)).toBe(second)
      const small = 'select count(*) as n from t'
      const firstSmall = driver.prepare(small)
      expect(driver.prepare(small)).not.toBe(firstSmall)
      expect(driver.prepare(small)).toBe(driver.prepare(small))
    } finally {
      await driver.close()
      dir.cleanup()
    }
  })

  it('lets the least recently used statements go past its budget of SQL text, keeping the hot ones', async () => {
    const dir = tempDir()
    const driver = new SqliteDriver(join(dir.dir, 'o.db'), 'sqlite:o.db')
    try {
      await driver.open()
      driver.handle.exec('create table t (a, b, c)')
      const rows = (n: number) => `insert into t values ${Array.from({ length: n }, () => '(?, ?, ?)').join(', ')}`
      const twice = (text: string) => (driver.prepare(text), driver.prepare(text))
      const hot = 'select count(*) as n from t'
      const keptHot = twice(hot)
      const cold = twice(rows(300))
      expect(driver.prepare(rows(300))).toBe(cold)
      // 200 more multi-row statements, each used twice: ~600 KB of SQL, past the budget.
      for (let n = 301; n <= 500; n++) {
        twice(rows(n))
        expect(driver.prepare(hot)).toBe(keptHot)
      }
      expect(driver.prepare(rows(300)), 'the least recently used one was let go').not.toBe(cold)
      expect(driver.prepare(hot)).toBe(keptHot)
    } finally {
      await driver.close()
      dir.cleanup()
    }
  })
})
