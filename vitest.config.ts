import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    // Real HTTP, real SQLite files, real Postgres: allow for a slow shared machine, and for
    // sharing it with another test file (maxWorkers below): twice the one-file-at-a-time allowance.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at once. Vitest's default is one fewer than the cores (1 here), but most files
    // wait on real things (the CLI as a subprocess, HTTP, Postgres), so a 2-core machine ran
    // with a core idle much of the time.
    maxWorkers: 2,
  },
})
