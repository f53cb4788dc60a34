// `npm run build`, also run by `npm install` / `npm ci` (the `prepare` script): compiles src/ and
// migrations/ into dist/ (tsconfig.build.json), which the launcher then runs (bin/compiled.js says
// why). Without TypeScript installed (`npm ci --omit=dev`) there is nothing to compile with: say
// so and succeed, the CLI runs the sources as before.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
if (!existsSync(tsc)) {
  process.stderr.write('okta-elt build: TypeScript is not installed (npm ci --omit=dev?): the CLI will run the TypeScript sources\n')
  process.exit(0)
}
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
process.exit(result.status ?? 1)
