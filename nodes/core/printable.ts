/**
 * Text from outside (a file, a payload, a command line) made safe to print in one error line: control
 * characters (an ANSI escape could rewrite the terminal) shown as `\xNN`, lone surrogates as U+FFFD,
 * and the length bounded.
 */

// C0 controls, DEL, C1 controls, the line and paragraph separators, and the bidi overrides (U+202A–E,
// U+2066–9) that can make printed text read differently from what it is.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * `s` as one printable line of at most `max` characters (code units) plus an ellipsis: control
 * characters escaped, newlines too unless `keepNewlines`.
 */
export function printable(s: string, max = 200, keepNewlines = false): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  let out = cut.replace(UNSAFE, (c) => (keepNewlines && (c === '\n' || c === '\t') ? c : escapeChar(c)));
  out = out.replace(LONE_SURROGATE, '\ufffd');
  return s.length > max ? `${out}…` : out;
}
