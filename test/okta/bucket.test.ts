import { describe, expect, it } from 'vitest'
import { RESET_MARGIN_MS, RateLimitBucket, ServerClock, WAIT_FOR_RESPONSE } from '../../src/okta/rate-limit.ts'

/** A bucket whose server clock agrees with ours (Date observed exactly on a second boundary). */
function bucket(share = 0.9): RateLimitBucket {
  const clock = new ServerClock()
  clock.observe(1_000_000, 1_000_000, 1_000_000)
  return new RateLimitBucket('users', share, clock)
}

const T0 = 1_000_000
const headers = (limit: number, remaining: number, resetS: number) => ({ limit, remaining, reset: resetS, date: null })

describe('RateLimitBucket', () => {
  it('probes an unknown bucket with one request, then uses floor(limit × share) per window', () => {
    const b = bucket()
    expect(b.reserve(T0)).toBe(0)
    expect(b.reserve(T0)).toBe(WAIT_FOR_RESPONSE)
    b.finish(headers(10, 9, 1060), T0, T0 + 5)
    let sent = 1
    while (b.reserve(T0 + 10) === 0) {
      sent++
      b.finish(headers(10, 10 - sent, 1060), T0 + 10, T0 + 10)
      if (sent > 20) break
    }
    // The second half of the budget is spread: only the first ones go at once.
    expect(sent).toBeGreaterThanOrEqual(5)
    expect(sent).toBeLessThanOrEqual(9)
    // Keep asking as time passes: never more than 9 before the reset (+ margin).
    for (let t = T0 + 10; t < 1_060_000 + RESET_MARGIN_MS; t += 50) {
      if (b.reserve(t) === 0) {
        sent++
        b.finish(headers(10, Math.max(0, 10 - sent), 1060), t, t)
      }
    }
    expect(sent).toBe(9)
    expect(b.reserve(1_060_000 + RESET_MARGIN_MS)).toBe(0) // a fresh window: its probe
    expect(b.reserve(1_060_000 + RESET_MARGIN_MS)).toBe(WAIT_FOR_RESPONSE)
  })

  it('holds the last permit of a window as a probe sent at the reported reset, without the margin', () => {
    const spend = (b: RateLimitBucket, resetS: number): number => {
      let sent = 0
      for (let t = T0; t < resetS * 1000; t += 10) {
        if (b.reserve(t) === 0) {
          sent++
          b.finish(headers(10, 10 - sent, resetS), t, t)
        }
      }
      return sent
    }
    // A server that already opened the next window: the probe's answer carries the new reset.
    const fresh = bucket()
    expect(spend(fresh, 1006)).toBe(8) // 9 budget, the 9th held back
    expect(fresh.reserve(1_005_999)).toBe(1)
    expect(fresh.reserve(1_006_000)).toBe(0) // the probe, at the reported reset
    expect(fresh.reserve(1_006_000)).toBeGreaterThan(0)
    fresh.finish(headers(10, 9, 1012), 1_006_000, 1_006_005)
    expect(fresh.reserve(1_006_006)).toBe(0) // the next window's budget, no margin waited
    // A server still in the old window: the probe was its last permit; wait out the margin.
    const old = bucket()
    spend(old, 1006)
    expect(old.reserve(1_006_000)).toBe(0)
    old.finish(headers(10, 1, 1006), 1_006_000, 1_006_005)
    expect(old.reserve(1_006_006)).toBeGreaterThan(900)
    expect(old.reserve(1_006_000 + RESET_MARGIN_MS)).toBe(0)
  })

  it('ignores a late answer from a window it already rolled past', () => {
    const b = bucket()
    b.reserve(T0)
    b.finish(headers(10, 9, 1002), T0, T0)
    expect(b.reserve(T0 + 1)).toBe(0) // request A, answered only after the window rolled
    const after = 1_002_000 + RESET_MARGIN_MS
    // The new window's probe waits for A (whatever is in flight may be counted in either window).
    expect(b.reserve(after)).toBe(WAIT_FOR_RESPONSE)
    // A's answer (old Reset, Remaining 0) must not block the new window.
    b.finish(headers(10, 0, 1002), T0 + 1, after + 1)
    expect(b.reserve(after + 1)).toBe(0) // the probe
    expect(b.reserve(after + 1)).toBe(WAIT_FOR_RESPONSE)
    b.finish(headers(10, 9, 1064), after, after + 2)
    expect(b.reserve(after + 3)).toBe(0)
  })

  it('takes the server’s count when it is higher than ours (others share the token)', () => {
    const b = bucket()
    b.reserve(T0)
    b.finish(headers(100, 5, 1060), T0, T0)
    // 95 used by someone else: the 90 budget is gone.
    expect(b.reserve(T0 + 1)).toBeGreaterThan(50_000)
  })

  it('after block() sends nothing until the given time', () => {
    const b = bucket()
    b.reserve(T0)
    b.finish(headers(100, 99, 1060), T0, T0)
    b.block(T0 + 5000)
    expect(b.reserve(T0 + 4999)).toBe(1)
    expect(b.reserve(T0 + 5000)).toBeGreaterThan(0) // the window counts as spent until its reset
    expect(b.reserve(1_060_000 + RESET_MARGIN_MS)).toBe(0)
  })

  it('lets a bucket without rate-limit headers flow freely after the first answer', () => {
    const b = bucket()
    b.reserve(T0)
    b.finish({ limit: null, remaining: null, reset: null, date: null }, T0, T0)
    for (let i = 0; i < 50; i++) expect(b.reserve(T0)).toBe(0)
  })
})
