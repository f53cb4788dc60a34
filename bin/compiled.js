// Which code the launcher runs: the compiled JavaScript in dist/ (`npm run build`, which `npm
// install` and `npm ci` run through `prepare`) when it is current, else the TypeScript sources.
// Plain JavaScript, imported by bin/okta-elt.js and by test/cli/compiled.test.ts.
//
// Why compiled at all: the first .ts file a process imports loads Node's type stripper (a
// WebAssembly build of swc plus its JavaScript), ~17 MB resident that stays for the whole run, a
// tenth of the 200 MB a 1,000,000-user full load may use. The sources stay what tests, the bench
// and development run; dist/ is only ever a faster way to start the same code.
//
// "Current" is checked file by file: every .ts under src/ and migrations/ has its .js in dist/ and
// that .js is not older. An edit after the last build makes the launcher run the sources (what a
// developer means), never stale code; a missing or partial dist/ does the same.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

/** The folders compiled (tsconfig.build.json's `include`). */
export const COMPILED_FOLDERS = ['src', 'migrations']

/** `dist/src/cli/main.js` when dist/ is current for every source, else undefined. */
export function compiledEntry(root) {
  const dist = join(root, 'dist')
  for (const folder of COMPILED_FOLDERS) {
    for (const source of typeScriptFiles(join(root, folder))) {
      const output = join(dist, relative(root, source)).replace(/\.ts$/, '.js')
      const built = mtimeMs(output)
      if (built === undefined || built < mtimeMs(source)) return undefined
    }
  }
  return join(dist, 'src', 'cli', 'main.js')
}

function* typeScriptFiles(dir) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return // no such folder: no source to be older than
  }
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* typeScriptFiles(path)
    else if (entry.name.endsWith('.ts')) yield path
  }
}

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}
