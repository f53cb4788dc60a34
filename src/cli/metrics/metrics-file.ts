import { readFile, rename, unlink, writeFile } from 'node:fs/promises'

/**
 * The metrics file on disk, following node_exporter's textfile collector convention: the whole
 * file is replaced atomically (written to `PATH.tmp.<pid>` in the same directory, then renamed
 * over PATH), so the collector never reads half a file. Name it `*.prom` in the collector's
 * directory; the temporary name does not end in `.prom`, so the collector ignores it.
 */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp.${process.pid}`
  try {
    await writeFile(tmp, text, { mode: 0o644 })
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw err
  }
}

const LAST_SUCCESS = /^okta_elt_resource_last_success_timestamp_seconds\{resource="([a-z_]+)"\} ([0-9.e+]+)$/

/** The last-success timestamps a previous file recorded (none when there is no readable file). */
export async function readPreviousLastSuccess(path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return out
  }
  for (const line of text.split('\n')) {
    const m = LAST_SUCCESS.exec(line)
    const value = m === null ? Number.NaN : Number(m[2])
    if (m !== null && Number.isFinite(value) && value > 0) out.set(m[1]!, value)
  }
  return out
}
