// Types of bin/heap-bound.js (plain JavaScript: the launcher loads it before any TypeScript).
export declare const LOADING_COMMANDS: readonly string[]
export declare const SEMI_SPACE_MB: number
export declare const BACKFILL_SEMI_SPACE_MB: number
export declare const OLD_SPACE_MB: number
export declare const MALLOC_ENV: Readonly<Record<string, string>>
export declare const SIZE_FLAG: string
export declare const RELAUNCHED: string
export declare function commandOf(argv: readonly string[]): string | undefined
export declare function boundedRelaunch(args: {
  argv: readonly string[]
  execArgv: readonly string[]
  env: Readonly<Record<string, string | undefined>>
}): { args: string[]; env: Record<string, string | undefined> } | null
