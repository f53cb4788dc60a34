import Database from 'better-sqlite3'
import { driverReason } from '../errors.ts'
import { probeLocalFile } from '../local-file-probe.ts'
import type { DestinationProbe } from '../probe.ts'

/** `check`'s preflight of a SQLite file (see probe.ts): the directory and file writable, and the file a SQLite database. */
export async function probeSqlite(path: string, cwd: string): Promise<DestinationProbe> {
  if (path === ':memory:') return { writable: true, detail: 'in-memory database (nothing is kept after the run)' }
  const found = await probeLocalFile(path, cwd, 'SQLite keeps the database and its -wal/-shm files there')
  if ('verdict' in found) return found.verdict
  let db: Database.Database | null = null
  try {
    db = new Database(found.file, { readonly: true, fileMustExist: true, timeout: 2_000 })
    const tables = db.prepare(`select count(*) as n from sqlite_master where type = 'table'`).get() as { n: number }
    return { writable: true, detail: `${found.file} writable (${tables.n} tables)` }
  } catch (err) {
    return { writable: false, detail: `${found.file} is not a usable SQLite database: ${driverReason(err)}` }
  } finally {
    db?.close()
  }
}
