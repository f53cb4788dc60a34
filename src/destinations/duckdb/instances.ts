import { realpathSync } from 'node:fs'
import { dirname, basename, join, resolve } from 'node:path'
import type { DuckDBInstance } from '@duckdb/node-api'
import { duckdbModule } from './module.ts'

/**
 * One DuckDB instance per database file in this process, shared by every destination opened on
 * it and closed when the last one closes. DuckDB's file lock is per process (POSIX record locks),
 * so two instances of one file in one process would both "hold" it and corrupt each other; one
 * shared instance makes a second destination on the same file safe (the one-writer lock between
 * them is `lock.ts`'s), and the lock is released as soon as the last user closes.
 */
const open = new Map<string, { instance: Promise<DuckDBInstance>; users: number }>()

/**
 * The writer's settings. DuckDB checkpoints (folds the WAL into the file) at the first commit after
 * the WAL passes `checkpoint_threshold` (16 MB by default), and each checkpoint costs more as the
 * file grows: a quick-size full load (98k rows) checkpointed three times, 1.3 s, 2.0 s and 2.4 s
 * of its commits on the loaded bench machine. At 256 MB a load checkpoints a sixteenth as often
 * (a quick load only when the destination closes). Nothing is less durable: a commit is in the
 * WAL, fsynced, before it returns, and a WAL left by a killed run is replayed by the next open;
 * the price is a bigger WAL file between checkpoints and a longer replay after a crash.
 */
const WRITER_CONFIG: Record<string, string> = { checkpoint_threshold: '256MB' }

/** The file's canonical path (symlinks resolved where the directory exists), the key of the instance and of the lock. */
export function canonicalPath(path: string): string {
  const abs = resolve(path)
  try {
    return join(realpathSync(dirname(abs)), basename(abs))
  } catch {
    return abs
  }
}

/** `readOnly` opens with DuckDB's READ_ONLY access (never creates the file; other readers may share it). */
export async function acquireInstance(path: string, readOnly = false): Promise<DuckDBInstance> {
  const file = canonicalPath(path)
  const key = instanceKey(path, readOnly)
  let entry = open.get(key)
  if (entry === undefined) {
    entry = { instance: duckdbModule().then((duckdb) => duckdb.DuckDBInstance.create(file, readOnly ? { access_mode: 'READ_ONLY' } : WRITER_CONFIG)), users: 0 }
    open.set(key, entry)
    entry.instance.catch(() => {
      if (open.get(key) === entry) open.delete(key)
    })
  }
  entry.users++
  try {
    return await entry.instance
  } catch (err) {
    entry.users--
    throw err
  }
}

export async function releaseInstance(path: string, readOnly = false): Promise<void> {
  const key = instanceKey(path, readOnly)
  const entry = open.get(key)
  if (entry === undefined) return
  entry.users--
  if (entry.users > 0) return
  open.delete(key)
  const instance = await entry.instance.catch(() => null)
  // Closing checkpoints the WAL into the file and releases the OS file lock.
  instance?.closeSync()
}

function instanceKey(path: string, readOnly: boolean): string {
  return `${readOnly ? 'ro' : 'rw'}:${canonicalPath(path)}`
}
