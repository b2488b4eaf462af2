// Text from outside made inert (issue 11 §3). A peer's reply, a client's HELO, a
// line of an aliases file or a program's output can carry terminal controls:
// `ESC]0;title BEL` retitles the admin's terminal, `ESC[2J` clears it, NUL makes
// grep call the maillog binary, a bare CR overwrites what the line said, a
// newline forges a log line, U+202E reverses what follows. Such text is escaped
// where it enters (qmgr stores delivery results, cleanup writes Received:) and
// again where it leaves (mailq, the maillog), so it is always shown, never obeyed.
//
// Also: what we send in SMTP replies is ASCII (RFC 5321 §4.2: reply text is
// ASCII; a `§` in ours was not). Leaf module: imports nothing.

/**
 * C0 controls, DEL, C1 controls (U+0080–U+009F: U+009B is a one-byte CSI to
 * some terminals), bidirectional overrides and isolates, zero-width joiners of
 * direction (U+200E/U+200F), and the Unicode line/paragraph separators.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /\r\n|[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_EACH = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `\x1b`, `\x00`, `\x07`, `\x0d`; above U+00FF: `\u202e`. */
function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line of text, safe for a terminal, a log line, a queue listing and a DSN.
 * Line breaks (CRLF, LF: a multi-line SMTP reply) and tabs become spaces, which
 * is how such text reads on one line; every other control is shown escaped. A
 * lone CR is escaped, since it moves the cursor back over what was written.
 * Idempotent on its own output (a backslash is left as it is).
 */
export function inert(text: string): string {
  if (!UNSAFE_TEST.test(text)) return text;
  return text.replace(UNSAFE, (c) => (c === '\r\n' || c === '\n' || c === '\t' ? ' ' : escapeChar(c)));
}

/**
 * Every unsafe character escaped, line breaks included (`a\x0ab`): for a value that
 * must show exactly what was given, such as an address refused on the command line.
 */
export function escaped(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE_EACH, escapeChar) : text;
}

/** Does the text hold anything inert() would change? */
export function hasUnsafe(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

/**
 * JSON for a terminal: JSON.stringify already writes C0 controls as \u00XX, but
 * leaves DEL, C1 and the direction marks raw. These are rewritten as JSON
 * escapes, so a parser reads the same value while a terminal shows nothing live.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Readable ASCII for what we commonly write beyond it. */
const ASCII_FOR: Record<string, string> = {
  '\u00a7': 'section ', '\u2192': '->', '\u2190': '<-', '\u2013': '-', '\u2014': '-', '\u2026': '...',
  '\u201c': '"', '\u201d': '"', '\u2018': "'", '\u2019': "'", '\u00a0': ' ',
};

/**
 * Text for an SMTP reply line: printable ASCII only (RFC 5321 §4.2). Our own
 * punctuation becomes its ASCII spelling; anything else outside ASCII (an
 * address's UTF-8, a file's text) becomes `?`; controls are escaped.
 */
export function asciiReply(text: string): string {
  return inert(text).replace(/\s*\u00a7\s*/g, ' section ').replace(/[^\x20-\x7e]/g, (c) => ASCII_FOR[c] ?? '?').replace(/ {2,}/g, ' ');
}
