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
})
