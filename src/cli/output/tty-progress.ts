import type { LogEvent, Logger } from '../../util/log.ts'
import type { Output } from '../io.ts'
import { formatCount, formatDuration } from './format.ts'
import { oneLine } from '../../util/control-chars.ts'

/**
 * On a terminal: one live line per resource (rows, batches, requests, time waiting on rate
 * limits, elapsed, and an ETA where the data gives one), redrawn in place on stderr; warnings and
 * errors scroll above the block. Redraws are throttled so a fast run does not spend its time painting.
 */
export interface TtyProgressOptions {
  verbose?: boolean
  /** Minimum time between redraws. Default 100 ms. */
  intervalMs?: number
  now?: () => number
}

export interface ResourceLine {
  resource: string
  status: string
  rows: number
  batches: number
  requests: number
  waitMs: number
  startedAt: number
  endedAt: number | null
  /** First and latest time position the resource's cursor reported (`at`: when, `pos`: the position), ms. */
  firstPosition: { at: number; pos: number } | null
  position: { at: number; pos: number } | null
}

const CLEAR_LINE = '\x1b[2K'
const UP = (n: number) => `\x1b[${n}A`

export class TtyProgress {
  readonly logger: Logger
  #out: Output
  #verbose: boolean
  #intervalMs: number
  #now: () => number
  #lines = new Map<string, ResourceLine>()
  #drawn = 0
  #lastDraw = 0
  #timer: NodeJS.Timeout | null = null
  #stopped = false

  constructor(out: Output, opts: TtyProgressOptions = {}) {
    this.#out = out
    this.#verbose = opts.verbose ?? false
    this.#intervalMs = opts.intervalMs ?? 100
    this.#now = opts.now ?? Date.now
    this.logger = (event) => this.#onEvent(event)
  }

  /** Draws the final state once more and stops redrawing; the block stays on screen. */
  stop(): void {
    if (this.#stopped) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#draw()
    this.#stopped = true
  }

  #onEvent(event: LogEvent): void {
    if (this.#stopped) {
      if (event.level === 'warn' || event.level === 'error') this.#out.write(`${event.level}: ${oneLine(event.msg)}\n`)
      return
    }
    const resource = typeof event.resource === 'string' ? event.resource : null
    if (resource !== null && (event.event === 'progress' || event.event === 'load.start' || event.event === 'load.end')) {
      const line = this.#line(resource)
      if (event.event === 'progress') {
        line.rows = num(event.rows, line.rows)
        line.batches = num(event.batches, line.batches)
        line.requests = num(event.requests, line.requests)
        line.waitMs = num(event.waitMs, line.waitMs)
        const pos = typeof event.position === 'string' ? Date.parse(event.position) : Number.NaN
        if (!Number.isNaN(pos)) {
          line.position = { at: this.#now(), pos }
          line.firstPosition ??= line.position
        }
      } else if (event.event === 'load.end') {
        line.status = typeof event.status === 'string' ? event.status : 'done'
        line.rows = num(event.rows, line.rows)
        line.endedAt = this.#now()
      }
      this.#schedule(event.event !== 'progress')
      return
    }
    // Info and debug chatter only with --verbose: the live block already says what is happening.
    if (event.level === 'warn' || event.level === 'error' || this.#verbose) {
      this.#above(`${event.level === 'info' || event.level === 'debug' ? '' : `${event.level}: `}${oneLine(event.msg)}`)
    }
  }

  #line(resource: string): ResourceLine {
    let line = this.#lines.get(resource)
    if (line === undefined) {
      line = {
        resource,
        status: 'running',
        rows: 0,
        batches: 0,
        requests: 0,
        waitMs: 0,
        startedAt: this.#now(),
        endedAt: null,
        firstPosition: null,
        position: null,
      }
      this.#lines.set(resource, line)
    }
    return line
  }

  /** Prints a message above the live block (erase the block, print, redraw). */
  #above(text: string): void {
    this.#erase()
    this.#out.write(`${text}\n`)
    this.#draw()
  }

  #schedule(immediate: boolean): void {
    const due = this.#lastDraw + this.#intervalMs - this.#now()
    if (immediate || due <= 0) {
      this.#draw()
      return
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null
        if (!this.#stopped) this.#draw()
      }, due)
      this.#timer.unref()
    }
  }

  #erase(): void {
    if (this.#drawn === 0) return
    let s = ''
    for (let i = 0; i < this.#drawn; i++) s += `${UP(1)}${CLEAR_LINE}`
    this.#control(`\r${s}`)
    this.#drawn = 0
  }

  #control(sequence: string): void {
    if (this.#out.control !== undefined) this.#out.control(sequence)
    else this.#out.write(sequence)
  }

  #draw(): void {
    const lines = [...this.#lines.values()].map((l) => this.#render(l))
    if (this.#drawn > 0) this.#control(`\r${UP(this.#drawn)}`)
    // Cursor moves go through the raw path, text through the escaping one: nothing from the
    // network can move the cursor.
    for (const l of lines) {
      this.#control(CLEAR_LINE)
      this.#out.write(`${l}\n`)
    }
    this.#drawn = lines.length
    this.#lastDraw = this.#now()
  }

  #render(l: ResourceLine): string {
    // Some pseudo-terminals report 0 columns: treat anything implausible as unknown.
    const columns = this.#out.columns ?? 0
    return renderProgressLine(l, this.#now(), columns >= 40 ? columns : 120)
  }
}

/**
 * One resource's live line, never wider than `width - 1` (a wrapped line breaks the cursor
 * arithmetic of the redraw): the least useful fields are dropped first (batches, then the time
 * waited) so that rows, elapsed time and the ETA survive an 80-column terminal.
 */
export function renderProgressLine(l: ResourceLine, now: number, width: number): string {
  const elapsed = (l.endedAt ?? now) - l.startedAt
  const eta = l.endedAt === null ? estimateEtaMs(l, now) : null
  // `drop`: 0 always shown; 1 dropped first when the line is too wide, then 2.
  const parts: { text: string; drop: number }[] = [
    { text: l.resource.padEnd(13), drop: 0 },
    { text: l.status.padEnd(11), drop: 0 },
    { text: `${formatCount(l.rows).padStart(9)} rows`, drop: 0 },
    { text: `${formatCount(l.batches).padStart(5)} batches`, drop: 1 },
    { text: `${formatCount(l.requests).padStart(6)} req`, drop: 0 },
    { text: `waited ${formatDuration(l.waitMs).padStart(6)}`, drop: 2 },
    { text: formatDuration(elapsed).padStart(6), drop: 0 },
    ...(eta === null ? [] : [{ text: `ETA ${formatDuration(eta)}`, drop: 0 }]),
  ]
  const join = (without: number[]): string => `  ${parts.filter((p) => !without.includes(p.drop)).map((p) => p.text).join(' ')}`
  let text = join([])
  if (text.length >= width) text = join([1])
  if (text.length >= width) text = join([1, 2])
  return text.length >= width ? text.slice(0, width - 1) : text
}

/**
 * Time left for a resource whose cursor moves through time toward now (the System Log): the pace
 * observed so far (cursor time covered per wall-clock ms, from the first to the latest position),
 * against a target that itself advances one ms per ms. Null when there is no pace yet, or when
 * the cursor does not gain on now.
 */
export function estimateEtaMs(l: Pick<ResourceLine, 'firstPosition' | 'position'>, now: number): number | null {
  const a = l.firstPosition
  const b = l.position
  if (a === null || b === null || b.at <= a.at) return null
  const pace = (b.pos - a.pos) / (b.at - a.at)
  if (!(pace > 1)) return null
  const remainingAtB = Math.max(0, b.at - b.pos) / (pace - 1)
  return Math.max(0, remainingAtB - (now - b.at))
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}
