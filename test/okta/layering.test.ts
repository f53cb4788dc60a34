/**
 * The client's dependency direction: `okta/` is the bottom HTTP layer, so it imports nothing from
 * the simulator (which is a fake Okta, not a dependency) or the pipeline (which uses the client).
 * Read from the sources, so a new import that breaks it fails here, not in review.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const OKTA = join(import.meta.dirname, '../../src/okta')

describe('src/okta dependency direction', () => {
  it('imports only from okta/ itself, util/ and packages', () => {
    const offending: string[] = []
    for (const file of readdirSync(OKTA).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(OKTA, file), 'utf8')
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!
        if (spec.startsWith('./') || spec.startsWith('../util/') || !spec.startsWith('.')) continue
        offending.push(`${file}: ${spec}`)
      }
    }
    expect(offending).toEqual([])
  })
})
