// The right-hand side of an alias or a .forward line: what one target means.
// Shared by the resolver and `newaliases` validation so both refuse the same things
// for the same reasons. Pure; never touches the file system.
import { parseAddress } from './address.ts';

export type Target =
  | { kind: 'discard' }                    // /dev/null: accepted and dropped on purpose
  | { kind: 'file'; path: string }         // /var/log/mail-copy: appended mbox-style
  | { kind: 'pipe'; command: string }      // |/usr/bin/procmail: message on stdin
  | { kind: 'include'; path: string }      // :include:/etc/mail/list: more targets from a file
  | { kind: 'mailbox'; user: string }      // \alice: straight to the mailbox, no more aliasing
  | { kind: 'address'; address: string }   // alice, bob@example.org: resolved again
  | { kind: 'invalid'; reason: string };

export function parseTarget(raw: string): Target {
  let t = raw.trim();
  // Sendmail lets a target be quoted so it may hold spaces or commas ("|prog -a, -b").
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1).trim();
  if (t === '') return { kind: 'invalid', reason: 'empty target' };
  if (t.startsWith('|')) {
    const command = t.slice(1).trim();
    return command === '' ? { kind: 'invalid', reason: 'empty program after "|"' } : { kind: 'pipe', command };
  }
  if (t.toLowerCase().startsWith(':include:')) {
    const path = t.slice(':include:'.length).trim();
    if (!path.startsWith('/')) return { kind: 'invalid', reason: `:include: needs an absolute path, got "${path}"` };
    return { kind: 'include', path };
  }
  if (t.startsWith('/')) return t === '/dev/null' ? { kind: 'discard' } : { kind: 'file', path: t };
  if (t.startsWith('\\')) {
    const user = t.slice(1);
    const at = user.indexOf('@');
    const name = at === -1 ? user : user.slice(0, at);
    if (!/^[A-Za-z0-9._+-]+$/.test(name)) return { kind: 'invalid', reason: `bad user name after "\\": "${user}"` };
    return { kind: 'mailbox', user: name.toLowerCase() };
  }
  // A target with a slash that is not absolute would depend on the delivery
  // process's working directory: refuse rather than guess (issue 5, "Bad input").
  const localPart = t.includes('@') ? t.slice(0, t.lastIndexOf('@')) : t;
  if (localPart.includes('/') || t.startsWith('~') || t.startsWith('./')) {
    return { kind: 'invalid', reason: `relative path "${t}": use an absolute path such as /home/user/mail` };
  }
  const parsed = parseAddress(t);
  if ('error' in parsed) return { kind: 'invalid', reason: `bad address "${t}": ${parsed.error}` };
  return { kind: 'address', address: t };
}

/**
 * Splits .forward / :include: text into targets: comma- or line-separated,
 * `#` starts a comment line, commas inside double quotes do not split.
 */
export function splitTargets(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      if (ch === ',' && !quoted) { push(cur); cur = ''; continue; }
      cur += ch;
    }
    push(cur);
  }
  return out;
  function push(s: string): void { if (s.trim() !== '') out.push(s.trim()); }
}
