import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.ts'

/**
 * No Docker engine runs here, so the image cannot be built in CI: these checks read the
 * Dockerfile and .dockerignore instead, and check that what the image copies is everything the
 * code imports at run time.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
const stages = instructions.filter((l) => /^FROM /i.test(l))
const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!))
const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))

describe('Dockerfile', () => {
  it('is multi-stage on node:24-slim, installs runtime dependencies exactly as locked', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const from of stages) expect(from).toMatch(/^FROM node:24-slim\b/)
    expect(instructions).toContain('COPY package.json package-lock.json ./')
    const npmCi = instructions.find((l) => l.startsWith('RUN npm ci'))!
    expect(npmCi).toMatch(/^RUN npm ci --omit=dev\b/)
    // Optional dependencies stay (DuckDB's per-platform binary is one); no runtime dependency needs
    // an install script (the bundled Node's download is one, not wanted here), and the slim image
    // could not run node-gyp anyway.
    expect(npmCi).not.toContain('--omit=optional')
    expect(npmCi).toContain('--ignore-scripts')
    expect(finalStage.some((l) => /^RUN npm (ci|install)/.test(l)), 'no npm install in the final stage').toBe(false)
    expect(finalStage).toContain('COPY --from=deps /app/node_modules ./node_modules')
  })

  it('compiles the CLI in a build stage and ships dist/ beside the sources', () => {
    const build = instructions.slice(instructions.findIndex((l) => /^FROM \S+ AS build$/i.test(l)), instructions.lastIndexOf(stages.at(-1)!))
    expect(build.length, 'a build stage').toBeGreaterThan(1)
    expect(build).toContain('RUN node bin/build.js')
    expect(build.find((l) => l.startsWith('RUN npm ci'))).not.toContain('--omit=dev')
    expect(finalStage).toContain('COPY --from=build /app/dist ./dist')
  })

  it('runs as a non-root user with the CLI as entrypoint', () => {
    const user = finalStage.filter((l) => l.startsWith('USER ')).at(-1)
    expect(user).toBe('USER node')
    const entrypoint = finalStage.find((l) => l.startsWith('ENTRYPOINT '))!
    expect(JSON.parse(entrypoint.slice('ENTRYPOINT '.length))).toEqual(['node', '/app/bin/okta-elt.js'])
    expect(finalStage.indexOf(user!)).toBeLessThan(finalStage.indexOf(entrypoint))
  })

  it('copies everything the code imports at run time', () => {
    const copied = finalStage.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).map((l) => l.split(/\s+/)[1]!)
    // Walk the static imports (and `new URL('./…', import.meta.url)` reads) from the entrypoint.
    const seen = new Set<string>()
    const queue = [join(ROOT, 'bin/okta-elt.js')]
    while (queue.length > 0) {
      const file = queue.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      if (!/\.(ts|js)$/.test(file)) continue
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'|new URL\(\s*'(\.{1,2}\/[^']+)',\s*import\.meta\.url/g)) {
        const target = resolve(dirname(file), (m[1] ?? m[2])!)
        expect(existsSync(target), `${relative(ROOT, file)} imports ${m[1]}`).toBe(true)
        queue.push(target)
      }
    }
    const topLevel = new Set([...seen].map((f) => relative(ROOT, f).split('/')[0]!))
    expect([...topLevel].sort()).toEqual(['bin', 'migrations', 'package.json', 'src'])
    for (const entry of topLevel) expect(copied, `COPY ${entry}`).toContain(entry)
  })

  it('the final stage’s files plus the deps stage’s npm ci run the CLI (the image, short of building it)', async () => {
    const dir = tempDir()
    try {
      const app = join(dir.dir, 'app')
      const data = join(dir.dir, 'data')
      mkdirSync(app)
      mkdirSync(data)
      // The deps stage: its COPY, then its npm ci line as written (cache first: CI may be offline).
      for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f))
      const npmCi = instructions.find((l) => l.startsWith('RUN npm ci'))!.slice('RUN '.length).split(/\s+/)
      execFileSync(npmCi[0]!, [...npmCi.slice(1), '--prefer-offline'], { cwd: app, stdio: 'pipe' })
      // The `node` package is there (optional dependencies are kept) but not its 120 MB binary:
      // that arrives only through its install script, which --ignore-scripts skips.
      expect(existsSync(join(app, 'node_modules/node/bin/node')), 'the bundled Node binary is left out').toBe(false)
      expect(existsSync(join(app, 'node_modules/@duckdb/node-api')), 'DuckDB is in').toBe(true)
      // The final stage's COPY lines.
      for (const line of finalStage.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
        const src = line.split(/\s+/)[1]!
        cpSync(join(ROOT, src), join(app, src), { recursive: true })
      }
      // The build stage: the same compile (the checkout's TypeScript), into the image's dist/.
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist')], { encoding: 'utf8' })
      expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0)
      const { compiledEntry } = (await import(pathToFileURL(join(app, 'bin/compiled.js')).href)) as typeof import('../../bin/compiled.js')
      expect(compiledEntry(app), 'the image runs its compiled CLI').toBe(join(app, 'dist/src/cli/main.js'))
      const r = spawnSync(process.execPath, [join(app, 'bin/okta-elt.js'), 'demo', '--users', '100', '--db', './okta.db'], {
        cwd: data,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: data, NODE_ENV: 'production' },
        timeout: 60_000,
      })
      expect(r.status, r.stderr.slice(-2000)).toBe(0)
      expect(r.stdout).toMatch(/^okta-elt demo .*: succeeded/)
    } finally {
      dir.cleanup()
    }
  }, 120_000)

  it('.dockerignore keeps local state, secrets and the host node_modules out of the build context', () => {
    for (const pattern of ['.git', 'node_modules', '*.db', 'pipeline.config.json', '*.pem', '.env']) expect(ignored).toContain(pattern)
    // …but not what the image copies.
    for (const entry of ['bin', 'src', 'migrations', 'package.json', 'package-lock.json']) {
      expect(statSync(join(ROOT, entry))).toBeTruthy()
      expect(ignored).not.toContain(entry)
    }
    expect(readdirSync(ROOT)).toContain('.dockerignore')
  })
})
