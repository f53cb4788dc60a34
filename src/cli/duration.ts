import { UsageError } from '../util/errors.ts'

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/**
 * Parses a duration flag such as `26h`, `90m`, `2d`, `1h30m` or `45s` (units s, m, h, d, w;
 * parts in any order, summed) into milliseconds. Anything else, or zero, is a usage error.
 */
export function parseDuration(value: string, flag = '--max-age'): number {
  const text = value.trim().toLowerCase()
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(text)) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value
    throw new UsageError(`${flag}: expected a duration such as 26h, 90m, 2d or 1h30m, got "${shown}"`)
  }
  let ms = 0
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]
  if (!(ms > 0) || !Number.isFinite(ms)) throw new UsageError(`${flag}: the duration must be more than zero`)
  return Math.round(ms)
}
