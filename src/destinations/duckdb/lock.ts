import type { WriterLock } from '../dialect.ts'
import { canonicalPath } from './instances.ts'

/** Which destination object of this process holds each file's writer lock. */
const holders = new Map<string, DuckdbLock>()

/**
 * Between processes, DuckDB's own file lock already admits one (see driver.ts): a second process
 * cannot even open the file. Within one process, several destinations can share the file's
 * instance (instances.ts), so the one-writer lock between them is this registry; it lives and dies
 * with the process, like the file lock.
 */
export class DuckdbLock implements WriterLock {
  readonly #key: string

  constructor(path: string) {
    this.#key = canonicalPath(path)
  }

  async tryLock(_owner: string): Promise<boolean> {
    const holder = holders.get(this.#key)
    if (holder !== undefined && holder !== this) return false
    holders.set(this.#key, this)
    return true
  }

  async release(): Promise<void> {
    if (holders.get(this.#key) === this) holders.delete(this.#key)
  }
}
