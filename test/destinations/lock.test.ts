import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { Destination } from '../../src/destinations/destination.ts'
import { destinationCases, openPrepared } from './destinations.ts'

const holdLock = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url))

/** Starts a process holding the lock; resolves once it has it. */
async function lockingChild(url: string) {
  const child = spawn(process.execPath, [holdLock, url], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('locked')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`lock holder exited early (${code}): ${err}`)))
  })
  return child
}

for (const dc of destinationCases()) {
  describe(`${dc.kind} one-writer lock`, () => {
    const opened: Destination[] = []
    afterAll(async () => {
      for (const d of opened) await d.close()
      await dc.cleanup()
    })
    async function open(url: string): Promise<Destination> {
      const d = await openPrepared(url)
      opened.push(d)
      return d
    }

    it('excludes a second writer until the first unlocks or closes', async () => {
      const url = dc.freshUrl()
      const a = await open(url)
      const b = await open(url)
      await a.lock({ waitMs: 0, owner: 'run-A' })
      const started = Date.now()
      const err = await b.lock({ waitMs: 300, owner: 'run-B' }).catch((e: unknown) => e)
      expect(Date.now() - started).toBeGreaterThanOrEqual(280)
      expect(err).toMatchObject({ code: 'ERR_DESTINATION_LOCKED' })
      expect((err as Error).message).toContain('run-A')
      expect((err as Error).message.split('\n')).toHaveLength(1)

      await a.unlock()
      await b.lock({ waitMs: 1000, owner: 'run-B' })
      await expect(a.lock({ waitMs: 0, owner: 'run-A' })).rejects.toMatchObject({ code: 'ERR_DESTINATION_LOCKED' })
      // a waiter gets the lock as soon as the holder closes
      const waiting = a.lock({ waitMs: 5000, owner: 'run-A' })
      await new Promise((r) => setTimeout(r, 100))
      await b.close()
      await waiting
      await a.unlock()
    })

    // DuckDB lets one process open a file at all (an OS file lock held while it is open): a second
    // process's open is refused, and lock() waits for that like for any holder, then names its pid.
    it.runIf(dc.kind === 'duckdb')('a second process waits for the file, is told the holder pid, and gets it once the holder is killed', async () => {
      const url = dc.freshUrl()
      const child = await lockingChild(url)
      try {
        const d = await open(url)
        const started = Date.now()
        const err = (await d.lock({ waitMs: 300, owner: 'second' }).catch((e: unknown) => e)) as Error & { code: string; exitCode: number }
        expect(Date.now() - started).toBeGreaterThanOrEqual(280)
        expect(err).toMatchObject({ code: 'ERR_DESTINATION_LOCKED', exitCode: 1 })
        expect(err.message).toContain(`open in another process (pid ${child.pid}`)
        expect(err.message.split('\n')).toHaveLength(1)
        // Nothing else works on a destination it could not open (status sees the same line).
        await expect(d.readLoads()).rejects.toMatchObject({ code: 'ERR_DESTINATION_LOCKED' })
        child.kill('SIGKILL')
        await once(child, 'exit')
        const after = Date.now()
        await d.lock({ waitMs: 10_000, owner: 'survivor' })
        expect(Date.now() - after).toBeLessThan(5000)
        expect(await d.readLoads()).toEqual([])
      } finally {
        child.kill('SIGKILL')
      }
    })

    it.skipIf(dc.kind === 'duckdb')('is released when the holding process is killed', async () => {
      const url = dc.freshUrl()
      const d = await open(url)
      const child = await lockingChild(url)
      try {
        await expect(d.lock({ waitMs: 200, owner: 'survivor' })).rejects.toThrow(/crashing-run/)
        child.kill('SIGKILL')
        await once(child, 'exit')
        const started = Date.now()
        await d.lock({ waitMs: 10_000, owner: 'survivor' })
        expect(Date.now() - started).toBeLessThan(5000)
      } finally {
        child.kill('SIGKILL')
      }
    })
  })
}
