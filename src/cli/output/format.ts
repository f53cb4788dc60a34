/** Small, dependency-free formatting for human output. */
import { oneLine } from '../../util/control-chars.ts'

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const totalSeconds = Math.round(ms / 1000)
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m${pad2(totalSeconds % 60)}s`
  const minutes = Math.floor(totalSeconds / 60)
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

// Counts and durations (`12,345`, `850ms`, `4m05s`, `2h03m`, `-`): right-aligned.
const NUMERIC = /^(?:[\d,.]+(?:ms|s)?|\d+m\d\ds|\d+h\d\dm|-)$/

/**
 * Aligned columns. Numbers (cells that look numeric) are right-aligned, everything else left.
 * `indent` prefixes every line.
 */
export function formatTable(header: string[], rawRows: string[][], indent = '  '): string {
  // A cell is one line whatever it holds (a stored error may carry a newline or a tab).
  const rows = rawRows.map((r) => r.map(oneLine))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '')))
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}
