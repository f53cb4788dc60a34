// Types of bin/compiled.js (plain JavaScript: the launcher loads it before any TypeScript).
export declare const COMPILED_FOLDERS: readonly string[]
export declare function compiledEntry(root: string): string | undefined
