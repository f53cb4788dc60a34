import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SqliteDriver } from '../../src/destinations/sqlite/driver.ts'
import { tempDir } from '../helpers/temp-dir.ts'

/** An open SQLite driver on a fresh file with a table `t (a, b, c)`, closed and removed after `fn`. */
async function withDriver(fn: (driver: SqliteDriver) => void): Promise<void> {
  const dir = tempDir()
  const driver = new SqliteDriver(join(dir.dir, 'o.db'), 'sqlite:o.db')
  try {
    await driver.open()
    driver.handle.exec('create table t (a, b, c)')
    fn(driver)
  } finally {
    await driver.close()
    dir.cleanup()
  }
}

/** A multi-row INSERT whose text depends on its row count, as the history stage's are. */
const rows = (n: number) => `insert into t values ${Array.from({ length: n }, () => '(?, ?, ?)').join(', ')}`
const hot = 'select count(*) as n from t'

describe('SQLite statement cache', () => {
  it('keeps a statement from its second use on, so one-off multi-row texts never pile up in native memory', () =>
    withDriver((driver) => {
      // The first use is prepared and dropped; the second preparation is kept and reused.
      const first = driver.prepare(rows(300))
      const second = driver.prepare(rows(300))
      expect(second).not.toBe(first)
      expect(driver.prepare(rows(300))).toBe(second)
      expect(driver.prepare(rows(300))).toBe(second)
      const firstSmall = driver.prepare(hot)
      expect(driver.prepare(hot)).not.toBe(firstSmall)
      expect(driver.prepare(hot)).toBe(driver.prepare(hot))
    }))

  it('lets the least recently used statements go past its budget of SQL text, keeping the hot ones', () =>
    withDriver((driver) => {
      const twice = (text: string) => (driver.prepare(text), driver.prepare(text))
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
    }))
})
