import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Destination, LoadRecord } from '../../destinations/destination.ts'
import { DEFAULT_RESOURCES, RESOURCE_NAMES, type ResourceName } from '../../resources/types.ts'
import { UsageError } from '../../util/errors.ts'
import { readConfigFile, resolveDestination } from '../config.ts'
import { redactUrl } from '../destination-url.ts'
import { staleLine, staleResources, type StaleResource } from '../freshness.ts'
import type { CliIo } from '../io.ts'
import { createCliLogger } from '../output/cli-logger.ts'
import { formatCount, formatDuration, formatTable } from '../output/format.ts'
import { safeStringify } from '../output/json-lines-logger.ts'
import { registerConfiguredSecrets, registerUrlPassword, type GlobalOptions } from './common.ts'

export interface StatusCommandOptions extends GlobalOptions {
  destination?: string
  json: boolean
  /** How many recent loads to list. Default 10. */
  loads: number
  /** `--max-age`: exit 1 when a selected resource's last successful load is older (or missing). */
  maxAgeMs?: number
  /** `--resources`: which resources `--max-age` judges (default: the config's selection). */
  resources?: ResourceName[]
}

export interface ResourceStatus {
  resource: string
  /** The resource-level cursor (parent '' row), as stored. */
  cursor: unknown
  /** Per-parent cursor rows (e.g. one per group for group_users). */
  parentCursors: number
  cursorUpdatedAt: string | null
  lastSuccess: { loadId: string; finishedAt: string | null; rows: number } | null
  rows: number
  deleted: number
  /** Child tables (`users__…`) and their live rows. */
  childTables: { table: string; rows: number; deleted: number }[]
}

export interface StatusReport {
  destination: string
  resources: ResourceStatus[]
  loads: LoadRecord[]
  /** Present with `--max-age`: the resources judged stale (empty: all fresh). */
  freshness?: { maxAgeMs: number; selected: ResourceName[]; stale: StaleResource[] }
}

/** How many recent loads tell which resources beyond the default selection have been loaded. */
const LOAD_HISTORY = 500

/**
 * `okta-elt status`: what the destination holds, per resource (cursor, last successful load, row
 * counts), and the most recent loads with their outcome. Needs no Okta token.
 */
export async function statusCommand(opts: StatusCommandOptions, io: CliIo): Promise<number> {
  const parsed = await readConfigFile({ path: opts.config, explicit: opts.configExplicit, env: io.env, ...(io.cwd === undefined ? {} : { cwd: io.cwd }) })
  const url = resolveDestination(parsed, io.env, opts.destination)
  // A file database that does not exist yet: opening it would create an empty one.
  const { localDatabaseFile } = await import('../../destinations/index.ts')
  const file = localDatabaseFile(url)
  if (file !== null && !existsSync(resolve(io.cwd ?? process.cwd(), file))) {
    throw new UsageError(`${url}: no such database yet (run \`okta-elt run\` first)`, 'ERR_DESTINATION_MISSING')
  }
  registerUrlPassword(io, url)
  await registerConfiguredSecrets(io, parsed)

  const report = await readStatus(url, io, opts)
  if (opts.maxAgeMs !== undefined) {
    const selected = opts.resources ?? RESOURCE_NAMES.filter((n) => (parsed.file.resources ?? RESOURCE_NAMES).includes(n))
    report.freshness = { maxAgeMs: opts.maxAgeMs, selected, stale: staleResources(report.resources, selected, opts.maxAgeMs, Date.now()) }
  }
  io.stdout.write(opts.json ? `${safeStringify(report)}\n` : renderStatus(report))
  // A freshness check for monitoring: one line per stale resource, exit 1.
  const stale = report.freshness?.stale ?? []
  for (const s of stale) io.stderr.write(`okta-elt: ${staleLine(s, report.freshness!.maxAgeMs)}\n`)
  return stale.length > 0 ? 1 : 0
}

export async function readStatus(url: string, io: CliIo, opts: { verbose: boolean; loads: number }): Promise<StatusReport> {
  const { openDestination } = await import('../../destinations/index.ts')
  const output = createCliLogger(io, opts.verbose)
  // Read-only: status never creates, migrates or locks what it looks at (see DestinationOptions.readOnly).
  const destination: Destination = openDestination(url, { logger: output.logger, readOnly: true })
  try {
    await destination.prepare()
    const history = await destination.readLoads({ limit: Math.max(LOAD_HISTORY, opts.loads) })
    const counts = await destination.countRows()
    const resources: ResourceStatus[] = []
    // The default selection always; other resources once they have been loaded.
    const shown = RESOURCE_NAMES.filter((r) => DEFAULT_RESOURCES.includes(r) || history.some((l) => l.resource === r) || counts.some((c) => c.table === r))
    for (const resource of shown) {
      const state = await destination.readState(resource)
      const top = state.find((s) => s.parentId === '')
      const newest = state.reduce<Date | null>((acc, s) => (acc === null || s.updatedAt > acc ? s.updatedAt : acc), null)
      // Asked of the destination, not looked up among the recent loads: a resource loaded weekly
      // beside hourly ones has its last success far behind the newest few hundred loads.
      const [success] = await destination.readLoads({ limit: 1, resource, status: 'succeeded' })
      const own = counts.find((c) => c.table === resource)
      resources.push({
        resource,
        cursor: top?.cursor ?? null,
        parentCursors: state.filter((s) => s.parentId !== '').length,
        cursorUpdatedAt: newest?.toISOString() ?? null,
        lastSuccess:
          success === undefined ? null : { loadId: success.loadId, finishedAt: success.finishedAt?.toISOString() ?? null, rows: success.rows },
        rows: own?.rows ?? 0,
        deleted: own?.deleted ?? 0,
        childTables: counts.filter((c) => c.table.startsWith(`${resource}__`)),
      })
    }
    return { destination: destination.displayName, resources, loads: history.slice(0, opts.loads) }
  } finally {
    output.stop()
    await destination.close()
  }
}

export function renderStatus(report: StatusReport): string {
  const out: string[] = [`Destination ${redactUrl(report.destination)}\n\n`]
  out.push(
    formatTable(
      ['resource', 'rows', 'deleted', 'last successful load', 'cursor'],
      report.resources.map((r) => [
        r.resource,
        formatCount(r.rows),
        formatCount(r.deleted),
        r.lastSuccess === null ? 'never' : `${r.lastSuccess.finishedAt ?? '?'} (${formatCount(r.lastSuccess.rows)} rows)`,
        prettyCursor(r),
      ]),
    ),
  )
  const children = report.resources.flatMap((r) => r.childTables)
  if (children.length > 0) {
    out.push('\nChild tables\n')
    out.push(formatTable(['table', 'rows', 'deleted'], children.map((c) => [c.table, formatCount(c.rows), formatCount(c.deleted)])))
  }
  out.push(`\nRecent loads (${report.loads.length})\n`)
  if (report.loads.length === 0) out.push('  none yet\n')
  else {
    out.push(
      formatTable(
        ['started', 'resource', 'status', 'rows', 'duration', 'error'],
        report.loads.map((l) => [
          l.startedAt.toISOString(),
          l.resource,
          l.status,
          formatCount(l.rows),
          l.finishedAt === null ? '-' : formatDuration(l.finishedAt.getTime() - l.startedAt.getTime()),
          l.error ?? '',
        ]),
      ),
    )
  }
  return out.join('')
}

/** A cursor in one short line: `lastUpdated=2025-01-02T03:04:05.000Z`, plus the per-parent count. */
export function prettyCursor(r: Pick<ResourceStatus, 'cursor' | 'parentCursors'>): string {
  const parts: string[] = []
  const c = r.cursor
  if (c !== null && c !== undefined) {
    if (typeof c === 'object' && !Array.isArray(c)) {
      for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
        // Maps (`seen`, `versions`, `seenEvents`) can hold thousands of entries: show their size.
        const isMap = typeof v === 'object' && v !== null && !Array.isArray(v)
        parts.push(`${k}=${typeof v === 'string' ? v : isMap ? `{${formatCount(Object.keys(v).length)} entries}` : JSON.stringify(v)}`)
      }
    } else parts.push(typeof c === 'string' ? c : JSON.stringify(c))
  }
  if (r.parentCursors > 0) parts.push(`+${formatCount(r.parentCursors)} per-parent cursors`)
  const text = parts.length === 0 ? 'none' : parts.join(' ')
  return text.length > 90 ? `${text.slice(0, 89)}…` : text
}
