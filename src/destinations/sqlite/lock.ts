import Database from 'better-sqlite3'
import type { WriterLock } from '../dialect.ts'
import { DestinationUnreachableError, driverReason } from '../errors.ts'

/**
 * `BEGIN IMMEDIATE` held on a separate connection to a sidecar `<db>.lock` file. The OS drops the
 * file lock when the holding process dies, however it dies, so a crashed run can never block the
 * next one; and the data file itself stays readable (and writable by SQLite's own busy handling)
 * for `status` and ad-hoc queries while a run holds it.
 */
export class SqliteLock implements WriterLock {
  readonly #path: string
  readonly #displayName: string
  #lockDb: Database.Database | null = null

  constructor(path: string, displayName: string) {
    this.#path = path
    this.#displayName = displayName
  }

  async tryLock(_owner: string): Promise<boolean> {
    if (this.#lockDb === null) {
      try {
        this.#lockDb = new Database(`${this.#path}.lock`, { timeout: 0 })
      } catch (err) {
        throw new DestinationUnreachableError(this.#displayName, `cannot open the lock file: ${driverReason(err)}`, err)
      }
    }
    try {
      this.#lockDb.exec('BEGIN IMMEDIATE')
      return true
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false
      throw err
    }
  }

  async release(): Promise<void> {
    const lockDb = this.#lockDb
    this.#lockDb = null
    if (lockDb === null) return
    if (lockDb.inTransaction) lockDb.exec('ROLLBACK')
    lockDb.close()
  }
}
