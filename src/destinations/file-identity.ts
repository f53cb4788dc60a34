import { statSync } from 'node:fs'
import { DestinationGoneError } from './errors.ts'

/**
 * The file a local destination (SQLite, DuckDB) opened, by device and inode. An open database
 * handle keeps writing into its inode after the file (or its directory) is deleted or replaced,
 * and every commit "succeeds" into a file nobody can open again. So the identity is recorded at
 * open and compared before and after every commit and after each load's outcome is written (one
 * `stat`, microseconds): a mismatch fails (`ERR_DESTINATION_GONE`, exit 1) instead of reporting
 * rows that are not on disk.
 */
export class FileIdentity {
  readonly #path: string
  readonly #displayName: string
  #opened: { dev: number; ino: number } | null = null

  constructor(path: string, displayName: string) {
    this.#path = path
    this.#displayName = displayName
  }

  /** After the open created or opened the file: this is the inode every commit must still reach. */
  record(): void {
    this.#opened = identity(this.#path)
  }

  forget(): void {
    this.#opened = null
  }

  /** Throws when the path no longer leads to the file opened (deleted, directory removed, replaced). */
  check(): void {
    const opened = this.#opened
    if (opened === null) return
    let now: { dev: number; ino: number } | null
    try {
      now = identity(this.#path)
    } catch {
      now = null
    }
    if (now === null) {
      throw new DestinationGoneError(`${this.#displayName} is gone: the file was deleted (or its directory removed) during the run; the rows committed since are lost`)
    }
    if (now.dev !== opened.dev || now.ino !== opened.ino) {
      throw new DestinationGoneError(`${this.#displayName} was replaced during the run: the path no longer leads to the file the run opened; the rows committed since are not in it`)
    }
  }
}

function identity(path: string): { dev: number; ino: number } {
  const st = statSync(path)
  return { dev: st.dev, ino: st.ino }
}
