import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

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
    expect(instructions.find((l) => l.startsWith('RUN npm ci'))).toMatch(/^RUN npm ci --omit=dev\b/)
    expect(finalStage.some((l) => /^RUN npm (ci|install)/.test(l)), 'no npm install in the final stage').toBe(false)
    expect(finalStage).toContain('COPY --from=deps /app/node_modules ./node_modules')
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
    // Walk the static imports (and `new URL(…, import.meta.url)` reads) from the entrypoint.
    const seen = new Set<string>()
    const queue = [join(ROOT, 'bin/okta-elt.js')]
    while (queue.length > 0) {
      const file = queue.pop()!
      if (seen.has(file)) continue
      seen.add(file)
      if (!/\.(ts|js)$/.test(file)) continue
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/(?:from|import\(|new URL\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = resolve(dirname(file), m[1]!)
        expect(existsSync(target), `${relative(ROOT, file)} imports ${m[1]}`).toBe(true)
        queue.push(target)
      }
    }
    const topLevel = new Set([...seen].map((f) => relative(ROOT, f).split('/')[0]!))
    expect([...topLevel].sort()).toEqual(['bin', 'migrations', 'package.json', 'src'])
    for (const entry of topLevel) expect(copied, `COPY ${entry}`).toContain(entry)
  })

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
