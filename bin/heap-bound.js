// The memory bound of the commands that load (`run`, `backfill`): plain JavaScript, imported by the
// launcher (bin/okta-elt.js) before any TypeScript, and by test/cli/heap-bound.test.ts.
//
// V8 sizes its heap from the machine's memory: on a 24 GB machine it lets the young generation
// grow to tens of MB and collects the old generation late, and glibc's malloc keeps up to 8 arenas
// per core; a full load of a 100,000-user org peaked at 520–540 MB RSS there while its live data
// was ~80 MB. These settings only take effect when a process starts (`v8.setFlagsFromString` later
// does not shrink a heap already set up; glibc reads MALLOC_* at its first allocation), so the
// launcher starts the loading commands again with them: `process.execve` replaces the process
// image in place (same pid, terminal, signals and exit code; no wrapper process whose memory would
// add up, or that would have to forward signals, as a container's PID 1 must). The other
// commands, and a platform without execve (Windows), run as started.
//
// The old generation's ceiling is not what a run uses: V8 collects to stay well under it, and it is
// several times the live data of a 1,000,000-user full load, so that no normal run meets it. Users
// who need more (or V8's own sizing) set OKTA_ELT_HEAP_MB (a number: that old generation in MB;
// `0`: no bound at all), or pass their own --max-old-space-size / --max-semi-space-size in
// NODE_OPTIONS, or their own MALLOC_* settings, which are left alone.

/** The commands whose memory grows with the org. */
export const LOADING_COMMANDS = ['run', 'backfill']

/** The young generation's semi-space, in MB (V8's own sizing let the new space grow to 128 MB on a 24 GB machine). */
export const SEMI_SPACE_MB = 1
/**
 * `backfill --from`'s semi-space, in MB, and no SIZE_FLAG (which holds the new space at 1 MB whatever
 * --max-semi-space-size says): a copy allocates every value of every 5,000-row page it moves, and
 * with 1 MB the scavenger ran ~350 times in a 205k-row copy and promoted the pages it caught to the
 * old generation. Measured on a loaded 2-core machine, SQLite -> SQLite: 205k rows 4.3-4.6 -> 3.0-3.2 s
 * user CPU, peak RSS 127 -> 157 MB; 2.05M rows 37.7 -> 25.5 s user CPU, peak RSS 138 -> 164 MB.
 * A backfill without --from is a full extraction from Okta, a `run` in all but name: `run`'s flags
 * (issue 14's ceiling is for a full load, whichever command starts it).
 */
export const BACKFILL_SEMI_SPACE_MB = 8
/**
 * The old generation's ceiling, in MB (OKTA_ELT_HEAP_MB overrides; `0` lifts the bound). V8 sizes
 * its collections by it: 512 let the heap reach ~130 MB at 100k users, 256 ~105 MB, for ~50 MB
 * live. A 1,000,000-user full load's live data is ~70 MB (heap snapshot at its peak): 256 leaves
 * over 3× that. A run that needs more fails with "JavaScript heap out of memory": raise it then.
 */
export const OLD_SPACE_MB = 256
/**
 * glibc malloc: two arenas (default 8 per core, each thread's fragmenting on its own), and blocks
 * of 32 KiB or more always mmap'd, so freed socket reads (64 KiB) and response bodies (0.2–2 MB)
 * go back to the system at once (glibc otherwise raises that threshold to the largest block
 * freed, up to 32 MB, and those blocks then fragment its heap: 64 MB of it at 100k users, 39 MB
 * with this). Other allocators ignore both.
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' }

/**
 * V8's memory-constrained mode: it grows the heap by smaller steps and collects sooner, so the heap
 * stays closer to its live data (a 100,000-user full load: peak RSS ~195 -> ~170 MB). Left out
 * when the user passes it or `--no-optimize-for-size`, and for `backfill --from` (see BACKFILL_SEMI_SPACE_MB).
 */
export const SIZE_FLAG = '--optimize-for-size'

/** Set in the relaunched process's environment (and removed again at once), so it never relaunches twice. */
export const RELAUNCHED = 'OKTA_ELT_RELAUNCHED'

/** The command `argv` (after the script) names: the first word that is not a global option or its value. */
export function commandOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') return argv[i + 1]
    if (a === '-c' || a === '--config') {
      i++
      continue
    }
    if (a.startsWith('-')) continue
    return a
  }
  return undefined
}

function hasFlag(list, name) {
  return list.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `--${name.replaceAll('-', '_')}` || a.startsWith(`--${name.replaceAll('-', '_')}=`))
}

/**
 * How to relaunch this process with the bound, or null to run as started: not a loading command,
 * already relaunched, bound lifted (OKTA_ELT_HEAP_MB=0), or every flag already set by the user.
 * Returns the argv for `process.execve` (after the executable) and the environment.
 */
export function boundedRelaunch({ argv, execArgv, env }) {
  if (env[RELAUNCHED] !== undefined) return null
  if (!LOADING_COMMANDS.includes(commandOf(argv))) return null
  const setting = env.OKTA_ELT_HEAP_MB?.trim()
  if (setting === '0' || setting === 'off') return null
  const oldMb = setting !== undefined && /^\d+$/.test(setting) ? Number(setting) : OLD_SPACE_MB
  const userFlags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)]
  const backfill = commandOf(argv) === 'backfill' && argv.some((a) => a === '--from' || a.startsWith('--from='))
  const flags = []
  if (!hasFlag(userFlags, 'max-semi-space-size') && !hasFlag(userFlags, 'max-heap-size')) flags.push(`--max-semi-space-size=${backfill ? BACKFILL_SEMI_SPACE_MB : SEMI_SPACE_MB}`)
  if (!hasFlag(userFlags, 'max-old-space-size') && !hasFlag(userFlags, 'max-heap-size')) flags.push(`--max-old-space-size=${oldMb}`)
  if (!backfill && !hasFlag(userFlags, 'optimize-for-size') && !hasFlag(userFlags, 'no-optimize-for-size')) flags.push(SIZE_FLAG)
  const malloc = Object.entries(MALLOC_ENV).filter(([name]) => env[name] === undefined)
  if (flags.length === 0 && malloc.length === 0) return null
  return { args: [...execArgv, ...flags], env: { ...env, ...Object.fromEntries(malloc), [RELAUNCHED]: '1' } }
}
