import { PORTABLE_CAPABILITIES } from '../capabilities.ts'
import type { Destination } from '../destination.ts'
import type { DestinationDialect } from '../dialect.ts'
import { SqlDestination } from '../sql-destination.ts'
import { SqliteBulkWriter } from './bulk-write.ts'
import { SqliteDriver } from './driver.ts'
import { SqliteLock } from './lock.ts'
import { sqliteTypes } from './types.ts'
import { sqliteWidening } from './widening.ts'
import { parseSqliteUrl } from './url.ts'
import type { SqliteTarget } from './url.ts'

/** `sqlite:PATH`: a local SQLite file through better-sqlite3. */
export const sqliteDialect = {
  name: 'sqlite',
  schemes: ['sqlite'],
  urlForm: 'sqlite:PATH',
  parseUrl: parseSqliteUrl,
  open(target, opts): Destination {
    const driver = new SqliteDriver(target.path, target.displayName, { readOnly: opts.readOnly ?? false })
    return new SqlDestination('sqlite', target.displayName, {
      capabilities: { ...PORTABLE_CAPABILITIES, copyInKeyOrder: true },
      driver,
      types: sqliteTypes,
      widening: sqliteWidening,
      bulk: new SqliteBulkWriter(driver),
      lock: new SqliteLock(target.path, target.displayName),
    }, opts)
  },
  localFile: (target) => target.path,
  // Loaded by `check` alone.
  probe: async (target, { cwd }) => (await import('./probe.ts')).probeSqlite(target.path, cwd),
} as const satisfies DestinationDialect<SqliteTarget>
