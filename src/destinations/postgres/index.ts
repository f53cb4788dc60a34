import { silentLogger } from '../../util/log.ts'
import { PORTABLE_CAPABILITIES } from '../capabilities.ts'
import type { Destination } from '../destination.ts'
import type { DestinationDialect } from '../dialect.ts'
import { SqlDestination } from '../sql-destination.ts'
import { PostgresBulkWriter } from './bulk-write.ts'
import { PostgresDriver } from './driver.ts'
import { PostgresLock } from './lock.ts'
import { postgresTypes } from './types.ts'
import { parsePostgresUrl } from './url.ts'
import type { PostgresTarget } from './url.ts'
import { postgresWidening } from './widening.ts'

/** `postgres://user:pass@host:port/db[?schema=NAME]` (or `postgresql://`): a Postgres schema through pg. */
export const postgresDialect = {
  name: 'postgres',
  schemes: ['postgres', 'postgresql'],
  urlForm: 'postgres://user:pass@host:port/db[?schema=NAME]',
  parseUrl: parsePostgresUrl,
  open(target, opts): Destination {
    const driver = new PostgresDriver(target, { logger: opts.logger ?? silentLogger, readOnly: opts.readOnly ?? false })
    return new SqlDestination('postgres', target.displayName, {
      capabilities: { ...PORTABLE_CAPABILITIES, concurrentConnections: true },
      driver,
      types: postgresTypes,
      widening: postgresWidening(target.schema),
      bulk: new PostgresBulkWriter(driver),
      lock: new PostgresLock(driver),
      analyzeScratchTables: true,
      temporaryScratchTables: true,
      analyzeNewTables: true,
    }, opts)
  },
  // Loaded by `check` alone.
  probe: async (target) => (await import('./probe.ts')).probePostgres(target.connectionString, target.schema),
} as const satisfies DestinationDialect<PostgresTarget>
