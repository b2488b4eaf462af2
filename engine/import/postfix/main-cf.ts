// Postfix main.cf as postconf(5) reads it: `name = value`, a line that starts
// with whitespace continues the previous one, `#` starts a comment line, and
// `$name` / `${name}` refer to other parameters. Expansion is done here for
// parameters the same file defines (and Postfix's derived mydomain), and named in
// the plan; a reference to anything else cannot be known here and is reported. Pure.

export interface Param { name: string; value: string; line: number; text: string }
export type MainCfLine = Param | { line: number; text: string; error: string };

export function parseMainCf(text: string): MainCfLine[] {
  const out: MainCfLine[] = [];
  const lines = text.split('\n');
  let cur: Param | null = null;
  lines.forEach((raw, i) => {
    const l = raw.replace(/\r$/, '');
    if (/^\s*#/.test(l) || l.trim() === '') { return; }
    if (/^\s/.test(l)) {
      if (cur) cur.value = `${cur.value} ${l.trim()}`.trim();
      else out.push({ line: i + 1, text: l, error: 'a continuation line with nothing before it' });
      return;
    }
    const m = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(l);
    if (!m) { cur = null; out.push({ line: i + 1, text: l, error: 'not "name = value"' }); return; }
    cur = { name: m[1], value: m[2].trim(), line: i + 1, text: l };
    out.push(cur);
  });
  return out;
}

export interface Expanded { value: string; expanded: string[]; unknown: string[] }

/** Replaces $name and ${name} with values from `params`; reports what it did. */
export function expand(value: string, params: ReadonlyMap<string, string>, depth = 0): Expanded {
  const expanded: string[] = [];
  const unknown: string[] = [];
  const out = value.replace(/\$(?:\{([A-Za-z0-9_]+)\}|\(([A-Za-z0-9_]+)\)|([A-Za-z0-9_]+))/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    const v = params.get(name);
    if (v === undefined || depth > 5) { unknown.push(name); return whole; }
    const inner = expand(v, params, depth + 1);
    expanded.push(`$${name} → ${inner.value}`, ...inner.expanded);
    unknown.push(...inner.unknown);
    return inner.value;
  });
  return { value: out, expanded, unknown };
}

/** "hash:/etc/postfix/transport" → "/etc/postfix/transport"; other map types are not text files. */
export function mapSource(ref: string): { path: string } | { error: string } {
  const m = /^([a-z0-9]+):(.+)$/.exec(ref.trim());
  if (!m) return { path: ref.trim() };
  if (['hash', 'btree', 'lmdb', 'cdb', 'dbm', 'texthash', 'inline'].includes(m[1])) return { path: m[2] };
  return { error: `${m[1]}: maps (${ref}) are not files Mailstop can read; export them as text first` };
}

export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}
