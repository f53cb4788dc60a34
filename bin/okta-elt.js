#!/usr/bin/env node
// The `okta-elt` binary. Plain JavaScript on purpose: the sources are TypeScript run by Node's type
// stripping (Node >= 22.22), and an older Node refuses a `.ts` import before any code of ours runs,
// with a stack trace. So this file checks the version first and imports the TypeScript only then.
//
// Under npm (`npm start`, `npm test`, `npx okta-elt`) the `node` on PATH is the Node 24 that
// `npm install` put in node_modules (the optional `node` dependency), whatever the machine's own
// node is. Called directly with an old node, we print one line naming the Node to use and exit 2
// (a usage error). We do not re-exec under the bundled Node: a wrapper process would receive the
// signals meant for the run (Ctrl-C reaches the whole process group, systemd signals the whole
// cgroup), and forwarding them would turn one SIGTERM into two, which means "exit at once".
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const REQUIRED = [22, 22] // keep equal to package.json engines.node (test/cli/node-version.test.ts checks)

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)))
  const script = join(root, 'bin', 'okta-elt.js')
  const bundled = join(root, 'node_modules', '.bin', 'node')
  const fix = existsSync(bundled)
    ? `run it as \`npx okta-elt\` inside ${root}, or with the Node 24 that npm installed there: ${bundled} ${script}`
    : `run \`npm install\` in ${root} (it installs Node 24 into node_modules), or install Node.js 24 LTS`
  process.stderr.write(
    `okta-elt: needs Node.js >= ${REQUIRED.join('.')} (24 LTS recommended), this is ${process.version} at ${process.execPath}; ${fix}\n`,
  )
  process.exit(2)
}

// `run` and `backfill` start again, in place, with a bounded heap (bin/heap-bound.js says why and
// how to lift it). Loaded only now: an old Node must not get past the version check above.
const { boundedRelaunch, RELAUNCHED } = await import('./heap-bound.js')
const relaunch = boundedRelaunch({ argv: process.argv.slice(2), execArgv: process.execArgv, env: process.env })
if (relaunch !== null && typeof process.execve === 'function') {
  try {
    process.execve(process.execPath, [process.execPath, ...relaunch.args, fileURLToPath(import.meta.url), ...process.argv.slice(2)], relaunch.env)
  } catch {
    // execve(2) failed (the process is unchanged): run unbounded rather than not at all.
  }
}
delete process.env[RELAUNCHED]

// Compiled code (TypeScript stripped, V8 bytecode) cached across runs in the OS temp directory
// (NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE turns it off): every later start skips
// loading the type stripper and compiling: ~20 MB less resident memory (115 -> 95 MB at the first
// request of a run) and a faster start. A directory that cannot be written just means no cache.
const { enableCompileCache } = await import('node:module')
enableCompileCache?.()

// The compiled JavaScript when `npm run build` made it from these very sources, else the sources
// (bin/compiled.js says why and how it tells).
const { compiledEntry } = await import('./compiled.js')
const compiled = compiledEntry(dirname(dirname(fileURLToPath(import.meta.url))))
if (compiled === undefined) await import('../src/cli/main.ts')
else await import(pathToFileURL(compiled).href)
