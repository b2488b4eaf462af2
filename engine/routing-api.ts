// The routing part of EngineApi (issue 5 UI): parse pasted /etc/aliases text,
// preview sender rewriting for a sample address, and check the routing settings
// (aliases, forwards, routes, catch-all, delivery program, generics) the way
// resolve will read them — each problem as a FieldError on the exact row, so the
// Aliases / Forwarding / Routes pages show it next to the field before saving.
// Answers questions about settings (the saved ones, or with an unsaved patch
// applied); never writes settings or files. Saving stays updateSettings' job.
import { access, constants, stat } from 'node:fs/promises';
import type { FieldError, SettingsPatch } from './contracts.ts';
import { rewriteHeaders, rewriteHeaderSender, rewriteSender } from './cleanup/rewrite.ts';
import { applyPatch } from './config/load.ts';
import type { Settings } from './config/schema.ts';
import { checkAliasTargets, findAliasLoops, parseAliasesFile, type AliasProblem } from './resolve/aliases-file.ts';
import { isSafeUserName } from './resolve/local-users.ts';
import { routeTarget, splitHostPort } from './resolve/routes.ts';
import { parseTarget, splitTargets } from './resolve/targets.ts';
import { ROUTING_API_METHODS, type AliasImport, type RewritePreview, type RoutingApi } from './types/routing.ts';
import { parseAddress } from './resolve/address.ts';
import { parseVirtualError } from './resolve/virtual.ts';

export type { AliasImport, RewritePreview, RoutingApi } from './types/routing.ts';
export { ROUTING_API_METHODS };

export interface RoutingApiDeps {
  /** The saved settings (a getter: a change applies to the next question). */
  settings: () => Settings | Promise<Settings>;
}

/** Alias names as newaliases accepts them (engine/resolve/aliases-file.ts NAME_RE). */
const ALIAS_NAME_RE = /^[a-z0-9_][a-z0-9._+-]*$/i;
/** LUSER_RELAY mailers resolve understands (engine/resolve/expand.ts luserRelay). */
const LUSER_MAILERS = new Set(['local', 'esmtp', 'smtp', 'relay']);

export function createRoutingApi(deps: RoutingApiDeps): RoutingApi {
  async function withPatch(patch?: SettingsPatch): Promise<{ ok: true; settings: Settings } | { ok: false; errors: FieldError[] }> {
    const current = await deps.settings();
    return patch ? applyPatch(current, patch) : { ok: true, settings: current };
  }
  return {
    async parseAliases(text) {
      const parsed = parseAliasesFile(String(text ?? ''));
      const found = await checkAliasTargets(parsed.entries);
      // An entry whose program or :include: file is missing is reported, not offered for import.
      const bad = new Set(found.filter((p) => p.severity === 'error').map((p) => p.line));
      const entries = parsed.entries.filter((e) => !bad.has(e.line));
      const aliases = Object.fromEntries(entries.map((e) => [e.name, e.targets]));
      return { entries, aliases, problems: [...parsed.problems, ...found].sort((a, b) => a.line - b.line) };
    },
    async previewRewrite(address, patch) {
      const r = await withPatch(patch);
      if (!r.ok) return r;
      const a = String(address ?? '').trim().replace(/^<(.*)>$/, '$1');
      // The header forms go through the real header rewriter, so the preview is what cleanup does.
      const to = rewriteHeaders(`To: ${a}\r\n`, r.settings).replace(/^To: /, '').replace(/\r\n$/, '');
      return { ok: true, address: a, envelope: rewriteSender(a, r.settings), headerSender: rewriteHeaderSender(a, r.settings), headerRecipient: to };
    },
    async checkRouting(patch) {
      const r = await withPatch(patch);
      if (!r.ok) return r.errors;
      return [...routingErrors(r.settings), ...await programErrors(r.settings)];
    },
  };
}

/** What can be told from the settings alone (no file system). */
export function routingErrors(s: Settings): FieldError[] {
  const errors: FieldError[] = [];
  const push = (path: string, message: string): void => { errors.push({ path, message }); };

  for (const [name, targets] of Object.entries(s.aliases)) {
    if (!ALIAS_NAME_RE.test(name)) push(`aliases.${name}`, `bad alias name "${name}": letters, digits, . _ + - only`);
    if (targets.length === 0) push(`aliases.${name}`, 'no targets: name at least one address, file or program');
    targets.forEach((t, i) => {
      const parsed = parseTarget(t);
      if (parsed.kind === 'invalid') push(`aliases.${name}[${i}]`, parsed.reason);
    });
  }
  for (const cycle of findAliasLoops(s.aliases)) push(`aliases.${cycle[0]}`, `alias loop: ${cycle.join(' → ')}`);

  for (const [user, lines] of Object.entries(s.forwards)) {
    if (!isSafeUserName(user)) push(`forwards.${user}`, `"${user}" is not a user name (letters, digits, . _ + -)`);
    lines.forEach((line, i) => {
      for (const t of splitTargets(line)) {
        const parsed = parseTarget(t);
        if (parsed.kind === 'invalid') push(`forwards.${user}[${i}]`, parsed.reason);
      }
    });
  }

  const firstFor = new Map<string, number>();
  s.routes.forEach((route, i) => {
    const key = route.domain.toLowerCase();
    const first = firstFor.get(key);
    // resolve/routes.ts findRoute: the first entry for a key wins; a second one would silently do nothing.
    if (first !== undefined) push(`routes[${i}].domain`, `duplicate: route ${first + 1} for ${route.domain} already applies`);
    else firstFor.set(key, i);
    const t = routeTarget(route, route.domain.replace(/^\./, ''));
    if (t.kind === 'invalid') push(`routes[${i}].host`, t.reason);
    else if (t.kind === 'local' && t.user !== null && !isSafeUserName(t.user)) push(`routes[${i}].host`, `"${t.user}" cannot name a mailbox`);
    else if (t.kind === 'smtp' && route.mailer !== 'esmtp' && route.host.trim() === '') {
      push(`routes[${i}].host`, `${route.mailer}: needs a host or [ip] (only esmtp may look up the domain's own MX)`);
    }
  });

  // Virtual users: a key names one of its domain's addresses or the catch-all; a target is an address, a user or one error:.
  for (const [key, targets] of Object.entries(s.virtual ?? {})) {
    if (!/^([^@\s]+)?@[A-Za-z0-9.-]+$/.test(key)) push(`virtual.${key}`, `"${key}" is not user@domain or @domain`);
    targets.forEach((t, i) => {
      const e = parseVirtualError(t);
      if (e && 'invalid' in e) push(`virtual.${key}[${i}]`, e.invalid);
      else if (e && targets.length > 1) push(`virtual.${key}[${i}]`, 'an error: entry must be the only target');
      else if (!e) {
        const p = parseAddress(t.replace(/%1/g, 'x'));
        if ('error' in p) push(`virtual.${key}[${i}]`, `"${t}": ${p.error}`);
      }
    });
  }

  const relay = s.localDelivery.luserRelay.trim();
  if (relay !== '') {
    const m = /^([a-z]+):(.*)$/i.exec(relay);
    if (m && !LUSER_MAILERS.has(m[1].toLowerCase())) push('localDelivery.luserRelay', `unknown mailer "${m[1]}": use local:user, esmtp:host or an address`);
    else if (m && m[2].trim() === '') push('localDelivery.luserRelay', `"${relay}" names no ${m[1].toLowerCase() === 'local' ? 'user' : 'host'}`);
    else if (m && m[1].toLowerCase() !== 'local') {
      const hp = splitHostPort(m[2].trim());
      if ('error' in hp) push('localDelivery.luserRelay', hp.error);
    }
  }
  if (s.localDelivery.agent === 'pipe' && s.localDelivery.command.trim() === '') {
    push('localDelivery.command', 'the program delivery agent needs a command, e.g. /usr/bin/procmail -d $u');
  }

  for (const [login, address] of Object.entries(s.rewrite.generics)) {
    if (!/^[^@\s]+@[A-Za-z0-9.-]+$/.test(address.trim())) push(`rewrite.generics.${login}`, `"${address}" is not a full address (user@domain)`);
  }
  const masq = s.rewrite.masqueradeAs.trim();
  if (masq !== '' && !/^[A-Za-z0-9.-]+$/.test(masq)) push('rewrite.masqueradeAs', `"${masq}" is not a domain`);
  return errors;
}

/** What only the file system can tell: programs that cannot run, :include: files that are missing. */
async function programErrors(s: Settings): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  const check = async (path: string, raw: string): Promise<void> => {
    const t = parseTarget(raw);
    if (t.kind === 'pipe') {
      const problem = await programProblem(t.command);
      if (problem) errors.push({ path, message: problem });
    } else if (t.kind === 'include') {
      try {
        if (!(await stat(t.path)).isFile()) errors.push({ path, message: `:include: ${t.path} is not a file` });
      } catch (err) {
        errors.push({ path, message: `:include: file ${t.path} cannot be read (${(err as NodeJS.ErrnoException).code})` });
      }
    }
  };
  for (const [name, targets] of Object.entries(s.aliases)) {
    for (const [i, t] of targets.entries()) await check(`aliases.${name}[${i}]`, t);
  }
  for (const [user, lines] of Object.entries(s.forwards)) {
    for (const [i, line] of lines.entries()) for (const t of splitTargets(line)) await check(`forwards.${user}[${i}]`, t);
  }
  if (s.localDelivery.agent === 'pipe' && s.localDelivery.command.trim() !== '') {
    const problem = await programProblem(s.localDelivery.command);
    if (problem) errors.push({ path: 'localDelivery.command', message: problem });
  }
  return errors;
}

async function programProblem(command: string): Promise<string | null> {
  const program = command.trim().split(/\s+/)[0];
  // A bare name is found through PATH by the shell at delivery time; only absolute paths can be checked here.
  if (!program.startsWith('/')) return null;
  try {
    await access(program, constants.X_OK);
    return null;
  } catch (err) {
    return `program ${program} cannot be run (${(err as NodeJS.ErrnoException).code})`;
  }
}
