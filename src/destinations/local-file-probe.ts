import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, open, stat, unlink } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { driverReason } from './errors.ts'
import type { DestinationProbe } from './probe.ts'

/**
 * The part of `check`'s preflight every file database shares (SQLite, DuckDB): the directory takes
 * a new file (the database and its journal files live there), and an existing file is a regular
 * file that opens for writing. Returns the verdict when that already decides it, or the file to
 * look inside.
 */
export async function probeLocalFile(path: string, cwd: string, journals: string): Promise<{ verdict: DestinationProbe } | { file: string }> {
  const file = resolve(cwd, path)
  const dir = dirname(file)
  const dirStat = await stat(dir).catch(() => null)
  if (dirStat === null) return { verdict: { writable: false, detail: `directory ${dir} does not exist` } }
  if (!dirStat.isDirectory()) return { verdict: { writable: false, detail: `${dir} is not a directory` } }

  // A real write (not access(W_OK), which says yes to root on a read-only mount): create and remove a file.
  const probe = resolve(dir, `.okta-elt-check-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await (await open(probe, 'wx')).close()
    await unlink(probe)
  } catch (err) {
    return { verdict: { writable: false, detail: `directory ${dir} is not writable (${codeOf(err)}): ${journals}` } }
  }

  const fileStat = await stat(file).catch(() => null)
  if (fileStat === null) return { verdict: { writable: true, detail: `${file} does not exist yet; the first run creates it (directory writable)` } }
  if (!fileStat.isFile()) return { verdict: { writable: false, detail: `${file} is not a regular file` } }
  try {
    await access(file, constants.W_OK)
    await (await open(file, 'r+')).close()
  } catch (err) {
    return { verdict: { writable: false, detail: `${file} is read-only (${codeOf(err)})` } }
  }
  return { file }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : driverReason(err)
}
