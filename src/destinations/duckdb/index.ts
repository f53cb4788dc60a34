import { PORTABLE_CAPABILITIES } from '../capabilities.ts'
import type { Destination } from '../destination.ts'
import type { DestinationDialect } from '../dialect.ts'
import { SqlDestination } from '../sql-destination.ts'
import { DuckdbBulkWriter } from './bulk-write.ts'
import { DuckdbDriver } from './driver.ts'
import { DuckdbLock } from './lock.ts'
import { duckdbTypes } from './types.ts'
import { parseDuckdbUrl } from './url.ts'
import type { DuckdbTarget } from './url.ts'
import { duckdbWidening } from './widening.ts'

/** `duckdb:PATH[?schema=NAME]`: a local DuckDB file through @duckdb/node-api (default schema `main`). */
export const duckdbDialect = {
  name: 'duckdb',
  schemes: ['duckdb'],
  urlForm: 'duckdb:PATH[?schema=NAME]',
  parseUrl: parseDuckdbUrl,
  open(target, opts): Destination {
    const driver = new DuckdbDriver(target, { readOnly: opts.readOnly ?? false })
    return new SqlDestination('duckdb', target.displayName, {
      capabilities: { ...PORTABLE_CAPABILITIES, concurrentConnections: true, copyInKeyOrder: true },
      driver,
      types: duckdbTypes,
      widening: duckdbWidening(target.schema),
      bulk: new DuckdbBulkWriter(driver),
      lock: new DuckdbLock(target.path),
      indexHistoryKeys: false,
    }, opts)
  },
  localFile: (target) => target.path,
  // Loaded by `check` alone.
  probe: async (target, { cwd }) => (await import('./probe.ts')).probeDuckdb(target.path, target.schema, cwd),
} as const satisfies DestinationDialect<DuckdbTarget>
