import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BufferOutput } from '../../src/cli/io.ts'
import { startSimulator } from '../../src/simulator/index.ts'
import { cli, tempDir } from './helpers.ts'
import { estimateEtaMs, renderProgressLine, TtyProgress, type ResourceLine } from '../../src/cli/output/tty-progress.ts'

/** The live view's batches and ETA: the formatter and the estimate, on a fake clock. */
const DAY = 86_400_000
const NOW = Date.parse('2026-12-01T12:00:00.000Z')

function line(over: Partial<ResourceLine> = {}): ResourceLine {
  return {
    resource: 'system_log',
    status: 'running',
    rows: 120_000,
    batches: 120,
    requests: 121,
    waitMs: 1500,
    startedAt: NOW - 60_000,
    endedAt: null,
    firstPosition: null,
    position: null,
    ...over,
  }
}

describe('estimateEtaMs', () => {
  it('extrapolates the pace through time toward now, which itself moves on', () => {
    // 30 days of log read in 60 s, 30 days left: about 60 s more (plus the minute the log grew, at that pace ~0).
    const l = { firstPosition: { at: NOW - 60_000, pos: NOW - 60 * DAY }, position: { at: NOW, pos: NOW - 30 * DAY } }
    expect(estimateEtaMs(l, NOW)).toBeCloseTo(60_000, -2)
    // Asked 20 s after the last position: 20 s less.
    expect(estimateEtaMs(l, NOW + 20_000)).toBeCloseTo(40_000, -2)
    // Never negative.
    expect(estimateEtaMs(l, NOW + 10 * 60_000)).toBe(0)
  })

  it('knows nothing before two positions, or when the cursor does not gain on now', () => {
    expect(estimateEtaMs({ firstPosition: null, position: null }, NOW)).toBeNull()
    const one = { at: NOW, pos: NOW - DAY }
    expect(estimateEtaMs({ firstPosition: one, position: one }, NOW)).toBeNull()
    // Half a second of log per second: the end runs away.
    expect(estimateEtaMs({ firstPosition: { at: NOW - 10_000, pos: NOW - DAY }, position: { at: NOW, pos: NOW - DAY + 5_000 } }, NOW)).toBeNull()
  })
})

describe('renderProgressLine', () => {
  it('shows rows, batches, requests, waited, elapsed and the ETA', () => {
    const l = line({ firstPosition: { at: NOW - 60_000, pos: NOW - 60 * DAY }, position: { at: NOW, pos: NOW - 30 * DAY } })
    const text = renderProgressLine(l, NOW, 120)
    expect(text).toMatch(/^ {2}system_log\s+running\s+120,000 rows\s+120 batches\s+121 req\s+waited\s+1\.5s\s+1m00s\s+ETA 1m00s$/)
  })

  it('no ETA where the data gives none, nor once the resource ended', () => {
    expect(renderProgressLine(line({ resource: 'users' }), NOW, 120)).not.toContain('ETA')
    const ended = line({ endedAt: NOW, status: 'succeeded', firstPosition: { at: NOW - 60_000, pos: NOW - 60 * DAY }, position: { at: NOW - 1000, pos: NOW - DAY } })
    expect(renderProgressLine(ended, NOW, 120)).not.toContain('ETA')
  })

  it('fits 80 columns by dropping batches, then waited, never the ETA', () => {
    const l = line({
      rows: 1_234_567,
      batches: 12_345,
      requests: 123_456,
      waitMs: 3_723_000,
      startedAt: NOW - 7_380_000,
      firstPosition: { at: NOW - 7_200_000, pos: NOW - 89 * DAY },
      position: { at: NOW, pos: NOW - 10 * DAY },
    })
    const wide = renderProgressLine(l, NOW, 200)
    expect(wide).toContain('batches')
    const narrow = renderProgressLine(l, NOW, 80)
    expect(narrow.length).toBeLessThan(80)
    expect(narrow).not.toContain('batches')
    expect(narrow).toMatch(/ETA \d/)
    expect(narrow).toContain('1,234,567 rows')
  })
})

describe('TtyProgress with positions from progress events', () => {
  it('turns the System Log cursor position into an ETA in the live block', () => {
    const out = new BufferOutput()
    let now = NOW - 60_000
    const p = new TtyProgress(out, { intervalMs: 0, now: () => now })
    p.logger({ level: 'info', event: 'load.start', msg: '', resource: 'system_log' })
    p.logger({ level: 'info', event: 'progress', msg: '', resource: 'system_log', rows: 1000, batches: 1, requests: 1, waitMs: 0, position: new Date(NOW - 60 * DAY).toISOString() })
    expect(out.text).not.toContain('ETA')
    now = NOW
    p.logger({ level: 'info', event: 'progress', msg: '', resource: 'system_log', rows: 60_000, batches: 60, requests: 60, waitMs: 0, position: new Date(NOW - 30 * DAY).toISOString() })
    p.stop()
    const lastFrame = out.text.slice(out.text.lastIndexOf('\x1b[2K'))
    expect(lastFrame).toMatch(/system_log\s+running\s+60,000 rows\s+60 batches.*ETA 1m00s/)
  })
})

describe('progress events carry the position the ETA needs', () => {
  it('system_log progress events report how far the checkpoint has read, moving forward; users none', async () => {
    const sim = await startSimulator({ seed: 2, token: 'eta-token-0123456789abcdef', size: { users: 30, logEvents: 3500, logDays: 20 } })
    const tmp = tempDir()
    try {
      const res = await cli(['run', '--destination', `sqlite:${join(tmp.dir, 'eta.db')}`, '--resources', 'users,system_log'], {
        env: { OKTA_ORG_URL: sim.url, OKTA_API_TOKEN: 'eta-token-0123456789abcdef' },
      })
      expect(res.code, res.stderr).toBe(0)
      const events = res.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
      const logs = events.filter((e) => e.event === 'progress' && e.resource === 'system_log')
      expect(logs.length).toBeGreaterThanOrEqual(3)
      const positions = logs.map((e) => Date.parse(e.position as string))
      expect(positions.every((p) => !Number.isNaN(p))).toBe(true)
      for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThanOrEqual(positions[i - 1]!)
      expect(events.filter((e) => e.event === 'progress' && e.resource === 'users').every((e) => e.position === undefined)).toBe(true)
    } finally {
      await sim.close()
      tmp.cleanup()
    }
  })
})
