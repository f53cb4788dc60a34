import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compiledEntry } from '../../bin/compiled.js'
import { tempDir } from './helpers.ts'

/** A checkout with `files` (path → age in seconds before now). */
function checkout(files: Record<string, number>): { root: string; cleanup: () => void } {
  const dir = tempDir()
  const now = Date.now() / 1000
  for (const [path, age] of Object.entries(files)) {
    const file = join(dir.dir, path)
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, '')
    utimesSync(file, now - age, now - age)
  }
  return { root: dir.dir, cleanup: dir.cleanup }
}

const entry = compiledEntry

describe('compiledEntry: the launcher runs dist/ only when it is current', () => {
  it('runs the compiled CLI when every source has a .js at least as new', () => {
    const c = checkout({ 'src/cli/main.ts': 60, 'src/a/b.ts': 60, 'migrations/0001.ts': 60, 'dist/src/cli/main.js': 10, 'dist/src/a/b.js': 10, 'dist/migrations/0001.js': 10 })
    try {
      expect(entry(c.root)).toBe(join(c.root, 'dist/src/cli/main.js'))
    } finally {
      c.cleanup()
    }
  })

  it('runs the sources when one was edited after the build, one was never built, or there is no dist/', () => {
    const cases: Record<string, number>[] = [
      { 'src/cli/main.ts': 60, 'src/a/b.ts': 5, 'dist/src/cli/main.js': 10, 'dist/src/a/b.js': 10 },
      { 'src/cli/main.ts': 60, 'migrations/0002.ts': 60, 'dist/src/cli/main.js': 10 },
      { 'src/cli/main.ts': 60 },
    ]
    for (const files of cases) {
      const c = checkout(files)
      try {
        expect(entry(c.root), JSON.stringify(files)).toBeUndefined()
      } finally {
        c.cleanup()
      }
    }
  })
})
