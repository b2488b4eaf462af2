// Just enough of m4 to read a sendmail.mc the way m4 does: `quoted' strings
// (nested, one level removed per argument), macro calls NAME(arg, ...) with
// arguments split at top-level commas and leading whitespace dropped, `dnl`
// (discard to end of line, also inside an argument list), and `#` lines.
// Sendmail's cf.m4 turns m4 comments off, so a `#` line is text m4 still scans
// (it ends up as a sendmail.cf comment): a backquote or a macro call in one would
// act, so such a line is refused rather than read as a comment.
// It does not expand macros: the .mc's meaning is read from the calls
// (engine/import/sendmail/mc.ts). Pure.

export type McStatement =
  | { kind: 'call'; name: string; args: string[] | null; line: number; text: string }
  | { kind: 'junk'; line: number; text: string; reason: string };

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;

export function parseMc(src: string): McStatement[] {
  const out: McStatement[] = [];
  let i = 0;
  let line = 1;
  const lineText = (n: number): string => src.split('\n')[n - 1] ?? '';

  const skipToEol = (): void => {
    while (i < src.length && src[i] !== '\n') i++;
    if (i < src.length) { i++; line++; }
  };
  /** At a backquote: the quoted text with one level of quotes removed; null if it never closes. */
  const quoted = (): string | null => {
    let depth = 0;
    let text = '';
    while (i < src.length) {
      const ch = src[i++];
      if (ch === '\n') line++;
      if (ch === '`') { if (depth++ > 0) text += ch; continue; }
      if (ch === "'") { if (--depth === 0) return text; text += ch; continue; }
      text += ch;
    }
    return null;
  };
  const ident = (): string => {
    const start = i;
    while (i < src.length && IDENT.test(src[i])) i++;
    return src.slice(start, i);
  };
  /** After "(": the arguments up to the matching ")", or an error. */
  const args = (): string[] | { error: string } => {
    const list: string[] = [];
    let cur = '';
    let depth = 0;
    let leading = true;
    while (i < src.length) {
      const ch = src[i];
      if (leading && /\s/.test(ch)) { if (ch === '\n') line++; i++; continue; }
      leading = false;
      if (ch === '`') {
        const q = quoted();
        if (q === null) return { error: 'a quote (`) that is never closed' };
        cur += q;
        continue;
      }
      if (IDENT_START.test(ch)) {
        const word = ident();
        if (word === 'dnl') { skipToEol(); continue; }
        cur += word;
        continue;
      }
      i++;
      if (ch === '\n') line++;
      if (ch === '(') { depth++; cur += ch; continue; }
      if (ch === ')') {
        if (depth === 0) { list.push(cur.trimEnd()); return list; }
        depth--; cur += ch; continue;
      }
      if (ch === ',' && depth === 0) { list.push(cur.trimEnd()); cur = ''; leading = true; continue; }
      cur += ch;
    }
    return { error: 'a macro call whose ")" is missing' };
  };

  while (i < src.length) {
    const ch = src[i];
    if (ch === '\n') { line++; i++; continue; }
    if (/\s/.test(ch)) { i++; continue; }
    const start = line;
    if (ch === '#') {
      const text = lineText(start);
      const active = /`/.test(text) ? 'a ` here starts an m4 quote' : /\b(define|FEATURE|MAILER|DAEMON_OPTIONS|MASQUERADE_AS|undefine|include)\(/.test(text) ? 'a macro call here is still expanded' : null;
      if (active) out.push({ kind: 'junk', line: start, text, reason: `${active}: cf.m4 turns m4 comments off, so # does not comment it out (use dnl)` });
      skipToEol();
      continue;
    }
    if (IDENT_START.test(ch)) {
      const name = ident();
      if (name === 'dnl') { skipToEol(); continue; }
      if (src[i] === '(') {
        i++;
        const a = args();
        if ('error' in a) {
          out.push({ kind: 'junk', line: start, text: lineText(start), reason: `${name}(: ${a.error}` });
          return out;
        }
        out.push({ kind: 'call', name, args: a, line: start, text: lineText(start) });
      } else {
        out.push({ kind: 'call', name, args: null, line: start, text: lineText(start) });
      }
      continue;
    }
    if (ch === '`') {
      const q = quoted();
      out.push({ kind: 'junk', line: start, text: lineText(start), reason: q === null ? 'a quote (`) that is never closed' : 'quoted text outside a macro call' });
      if (q === null) return out;
      continue;
    }
    out.push({ kind: 'junk', line: start, text: lineText(start), reason: `"${ch}" outside a macro call: not .mc syntax` });
    skipToEol();
  }
  return out;
}

/**
 * A define's value as m4 would leave it for the common cases: empty quote pairs
 * removed (`confCACERT_PATH`'/cacert.pem') and names defined earlier replaced.
 */
export function expandValue(value: string, defs: ReadonlyMap<string, string>): string {
  return value.replace(/`'/g, '').replace(/[A-Za-z_][A-Za-z0-9_]*/g, (w) => defs.get(w) ?? w);
}
