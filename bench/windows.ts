/**
 * Rebuilds a simulator bucket's windows from the arrival times of the requests it served: a
 * window opens at the first request after the previous one closed and lasts `windowMs`, exactly
 * as the simulator's limiter counts them.
 */
export function windowsOf(times: readonly number[], windowMs: number): { start: number; used: number }[] {
  const sorted = [...times].sort((a, b) => a - b)
  const windows: { start: number; used: number }[] = []
  for (const t of sorted) {
    const last = windows[windows.length - 1]
    if (last === undefined || t >= last.start + windowMs) windows.push({ start: t, used: 1 })
    else last.used++
  }
  return windows
}
