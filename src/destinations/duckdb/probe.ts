import { driverReason } from '../errors.ts'
import { probeLocalFile } from '../local-file-probe.ts'
import type { DestinationProbe } from '../probe.ts'
import { lockHolder } from './driver.ts'
import { duckdbModule } from './module.ts'

/**
 * `check`'s preflight of a DuckDB file (see probe.ts): the directory and file writable, and the
 * file a DuckDB database, opened READ_ONLY (nothing written, no WAL replayed into it) and closed.
 * A file another process has open (a run in progress: DuckDB admits one process per file) is no
 * failure: a run started now waits for it (`lock.waitSeconds`), as for any other holder.
 */
export async function probeDuckdb(path: string, schema: string, cwd: string): Promise<DestinationProbe> {
  const found = await probeLocalFile(path, cwd, 'DuckDB keeps the database and its .wal file there')
  if ('verdict' in found) return found.verdict
  const { DuckDBInstance } = await duckdbModule()
  let instance: Awaited<ReturnType<typeof DuckDBInstance.create>>
  try {
    instance = await DuckDBInstance.create(found.file, { access_mode: 'READ_ONLY' })
  } catch (err) {
    const reason = driverReason(err)
    const holder = lockHolder(reason)
    if (holder !== null) return { writable: true, detail: `${found.file} is open in another process now (${holder}): a run started meanwhile waits for it` }
    return { writable: false, detail: `${found.file} is not a usable DuckDB database: ${reason.replace(/^IO Error: /, '')}` }
  }
  try {
    const connection = await instance.connect()
    try {
      const reader = await connection.runAndReadAll('select count(*) from information_schema.tables where table_schema = $1', [schema])
      const tables = Number(reader.getRowsJS()[0]?.[0] ?? 0)
      const schemas = await connection.runAndReadAll('select count(*) from information_schema.schemata where schema_name = $1', [schema])
      if (Number(schemas.getRowsJS()[0]?.[0] ?? 0) === 0) return { writable: true, detail: `${found.file} writable; schema "${schema}" does not exist yet, the first run creates it` }
      return { writable: true, detail: `${found.file} writable (${tables} tables in schema "${schema}")` }
    } finally {
      connection.closeSync()
    }
  } catch (err) {
    return { writable: false, detail: `${found.file} is not a usable DuckDB database: ${driverReason(err)}` }
  } finally {
    instance.closeSync()
  }
}
