import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A temp directory with a `write` helper (objects are written as JSON), removed by `cleanup`. */
export function tempDir(prefix = 'okta-elt-'): { dir: string; write(name: string, content: string | object): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return {
    dir,
    write(name, content) {
      const path = join(dir, name)
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
      return path
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
