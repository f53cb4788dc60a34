import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { driverReason } from '../errors.ts'

/**
 * Why this user cannot write the database at `path`, or null. SQLite needs read-write access to
 * the file and to the directory, where it creates `<db>-wal` and `<db>-shm` at every open (and we
 * create `<db>.lock`). `access(2)` answers for the real user and sees what a mode cannot say: an
 * immutable or append-only file (EPERM, even for root) and a read-only mount (EROFS).
 * A directory that does not exist is left to the open, which reports it as unreachable.
 */
export function writeAccessProblem(path: string): string | null {
  const file = resolve(path)
  const dir = dirname(file)
  if (!existsSync(dir)) return null
  const name = basename(file)
  const dirProblem = accessProblem(dir, fsConstants.W_OK | fsConstants.X_OK)
  if (dirProblem !== null) {
    return `the directory ${dir} is ${dirProblem}; SQLite creates ${name}-wal and ${name}-shm there (and okta-elt ${name}.lock), so the user running okta-elt needs write access to it`
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}.lock`]) {
    if (!existsSync(f)) continue
    const problem = accessProblem(f, fsConstants.R_OK | fsConstants.W_OK)
    if (problem !== null) return `${f} is ${problem}; okta-elt needs to read and write it`
  }
  return null
}

function accessProblem(path: string, mode: number): string | null {
  try {
    accessSync(path, mode)
    return null
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EPERM') return 'immutable or append-only (chattr +i / +a: see lsattr)'
    if (code === 'EROFS') return 'on a read-only file system'
    if (code === 'EACCES') {
      const uid = process.getuid?.()
      let mode = ''
      try {
        const st = statSync(path)
        mode = `: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, owner uid ${st.uid}`
      } catch {
        // Not even stat-able: the message without the mode is still right.
      }
      return `not writable by this user${uid === undefined ? '' : ` (uid ${uid})`}${mode}`
    }
    return `not accessible (${code ?? driverReason(err)})`
  }
}
