/**
 * Text from the network is data, never terminal control. Every byte the CLI prints passes
 * `terminalSafe` (src/cli/output/safe-output.ts), and every error stored for later display passes
 * `oneLine` (describeError): C0 controls (ESC, BEL, backspace, NUL, CR…), DEL, C1 controls (8-bit CSI/OSC),
 * bidi overrides and isolates, and the Unicode line separators become their visible `\u001b`
 * form. Newline and tab stay (the CLI's own layout); table cells and one-line messages escape
 * those too (`oneLine`).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const UNSAFE_OR_LAYOUT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const visible = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** Escapes every control character except newline and tab. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, visible)
}

/** For text that must stay on one line (a table cell, an error line): newline and tab escaped too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE_OR_LAYOUT, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : visible(c)))
}
