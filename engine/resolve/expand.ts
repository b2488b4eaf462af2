// The resolution walk: one address → local domain? → aliases → forward → local
// user → catch-all; or → mailertable route → smart host → MX. Recursion follows
// alias and forward targets, with loop detection (Sendmail: an alias that names
// itself is a self-reference meaning "its own mailbox"; any longer cycle is a loop
// and fails with 5.4.6, RFC 3463 "routing loop detected"). Answers; never writes.
import { stat } from 'node:fs/promises';
import { formatAddress, isLocalDomain, lookupFolded, parseAddress, type ParsedAddress } from './address.ts';
import { isSafeUserName } from './local-users.ts';
import { findRoute, formatRoute, routeTarget, splitHostPort } from './routes.ts';
import { parseTarget, splitTargets } from './targets.ts';
import { lookupVirtual, parseVirtualError, substitute } from './virtual.ts';
import { addDestination, fail, MAX_DEPTH, step, type Hop, type Walk } from './walk.ts';

interface Opts {
  noLuser?: boolean;
  /**
   * Set when the administrator named this mailbox as a destination (the catch-all,
   * a `local:` route): it is accepted even before its Maildir exists, since the
   * first delivery creates it. Alias targets stay strict, as in Sendmail.
   */
  namedBy?: string;
  /** This address is a virtual entry's own target (info@x → info@x): no second lookup. */
  noVirtual?: boolean;
}

export async function resolveAddress(w: Walk, address: string, depth: number, path: Hop[], opts: Opts = {}): Promise<void> {
  if (depth > MAX_DEPTH) return fail(w, address, '5.4.6', `too many levels of aliasing (more than ${MAX_DEPTH})`);
  const p = parseAddress(address);
  if ('error' in p) return fail(w, address, '5.1.3', `bad address syntax: ${p.error}`);
  if (p.domain === null) {
    const host = w.settings.hostname.toLowerCase();
    step(w, 'rewrite', `${p.local} → ${p.local}@${host} (unqualified: local)`);
    return expandLocal(w, p.local, host, depth, path, opts);
  }
  if (isLocalDomain(p.domain, w.settings)) {
    // Virtual users come after "is it ours?" and before aliases, as in Sendmail.
    if (!opts.noVirtual && await expandVirtual(w, p.local, p.domain, depth, path)) return;
    if (!w.settings.domains.local.some((d) => d.toLowerCase().replace(/\.$/, '') === p.domain) && isVirtualOnly(w, p.domain)) {
      return fail(w, `${p.local}@${p.domain}`, '5.1.1', `User unknown (no virtual user ${p.local}@${p.domain} and no catch-all @${p.domain})`);
    }
    step(w, 'local', `${p.domain} is a local domain`);
    return expandLocal(w, p.local, p.domain, depth, path, opts);
  }
  return resolveRemote(w, p as ParsedAddress & { domain: string }, depth, path);
}

/** A domain that is ours only through `virtual` keys: unknown users there do not fall through to local mailboxes. */
function isVirtualOnly(w: Walk, domain: string): boolean {
  const host = w.settings.hostname.toLowerCase().replace(/\.$/, '');
  if (domain === host || domain === 'localhost' || domain.startsWith('[')) return false;
  return Object.keys(w.settings.virtual ?? {}).some((k) => k.toLowerCase().endsWith(`@${domain}`));
}

/** virtusertable: true when an entry answered for local@domain (its targets are then expanded). */
async function expandVirtual(w: Walk, local: string, domain: string, depth: number, path: Hop[]): Promise<boolean> {
  const hit = lookupVirtual(w.settings, local, domain);
  if (!hit) return false;
  const address = `${local}@${domain}`;
  step(w, 'virtual', `${hit.key} → ${hit.targets.join(', ')}${hit.key.startsWith('@') ? ` (catch-all for ${address})` : ''}`);
  for (const raw of hit.targets) {
    const e = parseVirtualError(raw);
    if (e && 'invalid' in e) { fail(w, address, '5.3.5', `virtual ${hit.key}: ${e.invalid}`); continue; }
    if (e) {
      // A temporary error keeps the message queued, as Sendmail's error mailer with a 4xx code does.
      if (e.status.startsWith('4.')) addDestination(w, { transport: 'error', nexthop: `${e.status}:${e.text}`, mailer: 'error', address });
      else fail(w, address, e.status, e.text);
      continue;
    }
    const t = substitute(raw, local);
    const p = parseAddress(t);
    if ('error' in p) { fail(w, address, '5.3.5', `virtual ${hit.key}: bad target "${t}": ${p.error}`); continue; }
    if (p.domain === null) await expandLocal(w, p.local, w.settings.hostname.toLowerCase(), depth + 1, path);
    else await resolveAddress(w, t, depth + 1, path, { noVirtual: t.toLowerCase() === address.toLowerCase() });
  }
  return true;
}

async function resolveRemote(w: Walk, p: ParsedAddress & { domain: string }, depth: number, path: Hop[]): Promise<void> {
  const address = formatAddress(p);
  const route = findRoute(p.domain, w.settings.routes);
  if (route) {
    step(w, 'route', `${route.domain} → ${formatRoute(route)}`);
    const t = routeTarget(route, p.domain);
    switch (t.kind) {
      case 'smtp':
        return addDestination(w, { transport: 'smtp', nexthop: t.nexthop, ...(t.port !== undefined ? { port: t.port } : {}), mailer: t.mailer, address });
      case 'local':
        return expandLocal(w, t.user ?? p.local, w.settings.hostname.toLowerCase(), depth + 1, path, t.user ? { namedBy: `route ${route.domain}` } : {});
      case 'error':
        return fail(w, address, t.status, t.reason);
      case 'invalid':
        return fail(w, address, '5.3.5', `route ${route.domain}: ${t.reason}`);
    }
  }
  const smart = w.settings.smartHost;
  if (smart) {
    step(w, 'smarthost', `${smart.host}:${smart.port} (no route for ${p.domain})`);
    return addDestination(w, { transport: 'smtp', nexthop: smart.host, port: smart.port, smartHost: true, mailer: 'relay', address });
  }
  if (p.domain.startsWith('[')) {
    const literal = p.domain.replace(/^\[ipv6:/, '[');
    step(w, 'mx', `${literal} is an address literal: no MX lookup`);
    return addDestination(w, { transport: 'smtp', nexthop: literal, mailer: 'esmtp', address });
  }
  step(w, 'mx', await mxDetail(w, p.domain));
  addDestination(w, { transport: 'smtp', nexthop: p.domain, mailer: 'esmtp', address });
}

async function mxDetail(w: Walk, domain: string): Promise<string> {
  if (!w.dns) return `${domain}: MX lookup at delivery`;
  try {
    const mx = [...await w.dns.resolveMx(domain)].sort((a, b) => a.priority - b.priority);
    if (mx.length === 0) return `${domain} has no MX: the domain itself (implicit MX, RFC 5321 §5.1)`;
    if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) return `${domain} has a null MX (RFC 7505): it accepts no mail`;
    return `${domain} → ${mx.map((m) => `${m.priority} ${m.exchange}`).join(', ')}`;
  } catch (err) {
    // engine/dns's DnsError kinds, or node:dns codes when handed a plain resolver.
    const e = err as { kind?: string; code?: string };
    if (e.kind === 'nodata' || e.code === 'ENODATA') return `${domain} has no MX: the domain itself (implicit MX, RFC 5321 §5.1)`;
    if (e.kind === 'nxdomain' || e.code === 'ENOTFOUND') return `${domain} does not exist (NXDOMAIN); delivery will bounce`;
    return `${domain}: MX lookup failed (${e.kind ?? e.code ?? String(err)}); delivery will retry`;
  }
}

export async function expandLocal(w: Walk, local: string, domain: string, depth: number, path: Hop[], opts: Opts = {}): Promise<void> {
  const user = local.toLowerCase();
  const address = `${user}@${domain}`;
  if (depth > MAX_DEPTH) return fail(w, address, '5.4.6', `too many levels of aliasing (more than ${MAX_DEPTH})`);
  const at = path.findIndex((h) => h.name === user);
  if (at !== -1) {
    if (at === path.length - 1) {
      step(w, path[at].via, `${user} names itself: deliver to its mailbox`);
      return mailbox(w, user, domain);
    }
    const cycle = path.slice(at);
    const kind = cycle.every((h) => h.via === 'alias') ? 'alias loop' : 'forwarding loop';
    return fail(w, address, '5.4.6', `${kind}: ${[...cycle.map((h) => h.name), user].join(' → ')}`);
  }

  const alias = lookupFolded(w.settings.aliases, user);
  if (alias !== undefined) {
    step(w, 'alias', `${user} → ${alias.join(', ')}`);
    if (alias.length === 0) return fail(w, address, '5.3.5', `alias ${user} has no targets`);
    const next = [...path, { name: user, via: 'alias' as const }];
    for (const t of alias) await target(w, t, domain, depth + 1, next, `alias ${user}`, true);
    return;
  }

  const fwd = await findForward(w, user);
  if (fwd && fwd.targets.length > 0) {
    if (!w.settings.localDelivery.forwardEnabled) {
      step(w, 'forward', `${user}: forwarding is switched off (localDelivery.forwardEnabled), ${fwd.source} ignored`);
    } else {
      step(w, 'forward', `${user} → ${fwd.targets.join(', ')}${fwd.source === 'settings' ? '' : ` (${fwd.source})`}`);
      const next = [...path, { name: user, via: 'forward' as const }];
      for (const t of fwd.targets) await target(w, t, domain, depth + 1, next, `forward of ${user}`, fwd.programsAllowed);
      return;
    }
  }

  const known = await w.users.known(user);
  if (known) {
    step(w, 'local', `${user} is a local user (${known})`);
    return mailbox(w, user, domain);
  }
  if (opts.namedBy) {
    step(w, 'local', `${user} has no mailbox yet: named by ${opts.namedBy}, created on first delivery`);
    return mailbox(w, user, domain);
  }
  const plus = user.indexOf('+');
  if (plus > 0) {
    step(w, 'local', `${user} → ${user.slice(0, plus)} (subaddress "${user.slice(plus + 1)}")`);
    return expandLocal(w, user.slice(0, plus), domain, depth, path, opts);
  }
  const relay = w.settings.localDelivery.luserRelay.trim();
  if (relay !== '' && !opts.noLuser) {
    step(w, 'luser', `${user} is not a local user → ${relay}`);
    return luserRelay(w, relay, user, domain, depth + 1, path);
  }
  return fail(w, address, '5.1.1', 'User unknown');
}

/** LUSER_RELAY: "local:user", "user", "user@host", or "mailer:host" (the address is kept). */
async function luserRelay(w: Walk, relay: string, user: string, domain: string, depth: number, path: Hop[]): Promise<void> {
  const m = /^([a-z]+):(.*)$/i.exec(relay);
  if (!m) {
    if (relay.includes('@')) return resolveAddress(w, relay, depth, path, { noLuser: true });
    return expandLocal(w, relay, domain, depth, path, { noLuser: true, namedBy: 'luserRelay' });
  }
  const mailer = m[1].toLowerCase();
  if (mailer === 'local') {
    if (m[2].trim() === '') return fail(w, `${user}@${domain}`, '5.3.5', `luserRelay "${relay}" names no user`);
    return expandLocal(w, m[2].trim(), domain, depth, path, { noLuser: true, namedBy: 'luserRelay' });
  }
  if (mailer === 'esmtp' || mailer === 'smtp' || mailer === 'relay') {
    const hp = splitHostPort(m[2].trim());
    if ('error' in hp || hp.host === '') {
      return fail(w, `${user}@${domain}`, '5.3.5', `luserRelay "${relay}": ${'error' in hp ? hp.error : 'no host'}`);
    }
    return addDestination(w, { transport: 'smtp', nexthop: hp.host, ...(hp.port !== undefined ? { port: hp.port } : {}), mailer, address: `${user}@${domain}` });
  }
  return fail(w, `${user}@${domain}`, '5.3.5', `luserRelay "${relay}": unknown mailer "${mailer}"`);
}

function mailbox(w: Walk, user: string, domain: string): void {
  if (!isSafeUserName(user)) return fail(w, `${user}@${domain}`, '5.1.3', `"${user}" cannot name a mailbox`);
  addDestination(w, { transport: 'local', nexthop: user, mailer: 'local', address: `${user}@${domain}` });
}

/** One right-hand side of an alias or forward. `programsAllowed`: may it name files and programs? */
async function target(w: Walk, raw: string, domain: string, depth: number, path: Hop[], owner: string, programsAllowed: boolean): Promise<void> {
  const stage = path[path.length - 1].via;
  if (depth > MAX_DEPTH) return fail(w, raw, '5.4.6', `${owner}: too many levels of aliasing (more than ${MAX_DEPTH})`);
  const t = parseTarget(raw);
  if ((t.kind === 'file' || t.kind === 'pipe') && !programsAllowed) {
    return fail(w, raw, '5.7.1', `${owner}: files and programs in ~/.forward run only when Mailstop runs as that user`);
  }
  switch (t.kind) {
    case 'discard':
      return addDestination(w, { transport: 'discard', nexthop: '/dev/null', mailer: 'discard', address: '/dev/null' });
    case 'file':
      return addDestination(w, { transport: 'file', nexthop: t.path, mailer: '*file*', address: t.path });
    case 'pipe':
      return addDestination(w, { transport: 'pipe', nexthop: t.command, mailer: 'prog', address: `|${t.command}` });
    case 'include': {
      let text: string;
      try {
        text = await w.readText(t.path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        // A missing list is a configuration mistake (bounce, naming it); anything
        // else (EACCES, EIO) may pass, so the message waits in the queue instead.
        if (code === 'ENOENT') return fail(w, raw, '5.3.5', `${owner}: cannot open :include: file ${t.path} (${code})`);
        return addDestination(w, { transport: 'error', nexthop: `4.3.0:${owner}: cannot read :include: file ${t.path} (${code})`, mailer: 'error', address: raw });
      }
      const list = splitTargets(text);
      step(w, stage, `:include:${t.path} → ${list.join(', ') || '(empty)'}`);
      for (const item of list) await target(w, item, domain, depth + 1, path, `${owner} (:include:${t.path})`, programsAllowed);
      return;
    }
    case 'mailbox': {
      step(w, stage, `\\${t.user}: a copy to the mailbox of ${t.user}, no further aliasing`);
      const known = (await w.users.known(t.user)) ?? (path.some((h) => h.name === t.user) ? 'alias' : null);
      if (!known) return fail(w, `${t.user}@${domain}`, '5.1.1', 'User unknown');
      return mailbox(w, t.user, domain);
    }
    case 'address': {
      const p = parseAddress(t.address);
      if (!('error' in p) && p.domain === null) return expandLocal(w, p.local, domain, depth, path);
      return resolveAddress(w, t.address, depth, path);
    }
    case 'invalid':
      return fail(w, raw, '5.3.5', `${owner}: ${t.reason}`);
  }
}

interface Forward { targets: string[]; source: string; programsAllowed: boolean }

/** settings.forwards first (the Forwarding page), then ~user/.forward when enabled. */
async function findForward(w: Walk, user: string): Promise<Forward | null> {
  const configured = lookupFolded(w.settings.forwards, user);
  if (configured && configured.length > 0) {
    return { targets: configured.flatMap((line) => splitTargets(line)), source: 'settings', programsAllowed: true };
  }
  // With forwarding off, users' files are not even read (the seeds' reason to turn it off).
  if (!w.settings.localDelivery.readHomeForward || !w.settings.localDelivery.forwardEnabled) return null;
  const file = await w.users.homeForward(user);
  if (!file) return null;
  if ('error' in file) {
    // Sendmail skips an unreadable .forward and delivers normally; so do we, visibly.
    step(w, 'forward', `${user}: cannot read ${file.path} (${file.error}), delivering normally`);
    return null;
  }
  const safety = await forwardSafety(file.path, file.uid, w.uid);
  if (safety.unsafe) {
    step(w, 'forward', `${user}: ${file.path} ignored: ${safety.unsafe}`);
    return null;
  }
  return { targets: splitTargets(file.text), source: file.path, programsAllowed: safety.programsAllowed };
}

/**
 * Sendmail's .forward safety: the file must belong to its user (or root) and not be
 * group- or world-writable, or anyone could redirect that user's mail. Files and
 * programs run with Mailstop's own rights, so they are allowed only when Mailstop
 * runs as that very user (Sendmail would change to the user; we cannot).
 */
async function forwardSafety(path: string, ownerUid: number, uid: number): Promise<{ unsafe?: string; programsAllowed: boolean }> {
  const st = await stat(path);
  if (st.uid !== ownerUid && st.uid !== 0) return { unsafe: `owned by uid ${st.uid}, not by its user`, programsAllowed: false };
  // 0o022: the group- and world-write bits.
  if ((st.mode & 0o022) !== 0) return { unsafe: 'writable by group or others', programsAllowed: false };
  return { programsAllowed: uid === ownerUid };
}
