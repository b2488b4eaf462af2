// `mailstop dkim keygen|show|check|enable|disable|remove` (issue 15). With the
// engine running, every call goes through EngineApi (so a new key signs the next
// message at once); without it, the same DKIM API works on config.json directly
// (validated and written durably by engine/config/load.ts).
import { applyPatch, loadSettings, saveSettings } from '../config/load.ts';
import type { Settings } from '../config/schema.ts';
import { createDns } from '../dns/resolver.ts';
import { createDkimApi, type DkimApi, type DkimDomainInfo, type ReadinessItem } from '../dkim-api.ts';
import { bool, str } from './args.ts';
import { prepare, type Command } from './context.ts';
import { findEngine } from './engine-link.ts';
import { EX_DATAERR, EX_OK, UsageError } from './exit-codes.ts';
import { err, out, type CliIo } from './io.ts';

const USAGE = `usage: mailstop dkim SUBCOMMAND [--home DIR]
  dkim keygen DOMAIN [--selector S] [--type rsa|ed25519|both] [--force]
                             make a key (RSA 2048 by default), switch signing on, print the
                             TXT record to publish; an older key of the type is retired
  dkim show [DOMAIN]         every key and its TXT record, in zone-file form
  dkim check DOMAIN          look up the published DKIM, SPF and DMARC records; say what to fix
  dkim enable|disable DOMAIN switch signing on or off (the keys stay)
  dkim remove DOMAIN SELECTOR
                             forget a (retired) key and delete its file`;

type Api = Pick<DkimApi, 'dkimKeygen' | 'dkimShow' | 'dkimSetSigning' | 'dkimRemove' | 'dkimCheck'>;

export const dkimCommand: Command = {
  name: 'dkim',
  summary: 'DKIM keys per sending domain, their DNS records, and the DKIM/SPF/DMARC readiness check',
  usage: USAGE,
  async run(args, ctx) {
    const p = prepare(args, { selector: { type: 'string', alias: 's' }, type: { type: 'string', alias: 't' }, force: { type: 'boolean' } }, this, ctx);
    if (!p) return EX_OK;
    const [sub, ...rest] = p.positional;
    const type = str(p.flags, 'type');
    if (type !== undefined && !['rsa', 'ed25519', 'both'].includes(type)) throw new UsageError(`--type wants rsa, ed25519 or both, got "${type}"`, USAGE);
    const want = (n: number) => { if (rest.length !== n) throw new UsageError(`dkim ${sub} takes ${n === 1 ? 'a domain' : 'a domain and a selector'}`, USAGE); };
    const engine = await findEngine(p.home);
    const api: Api = engine ?? await offlineApi(p.home);
    try {
      switch (sub) {
        case 'keygen': {
          want(1);
          const made = await api.dkimKeygen(rest[0], {
            ...(str(p.flags, 'selector') !== undefined ? { selector: str(p.flags, 'selector') } : {}),
            ...(type ? { type: type as 'rsa' | 'ed25519' | 'both' } : {}),
            force: bool(p.flags, 'force'),
          });
          out(ctx.io, `; publish in the zone of ${made[0]?.domain}, then run: mailstop dkim check ${made[0]?.domain}`);
          for (const k of made) out(ctx.io, k.zone ?? `; ${k.selector}: ${k.error}`);
          return EX_OK;
        }
        case 'show': {
          if (rest.length > 1) throw new UsageError('dkim show takes at most one domain', USAGE);
          const list = await api.dkimShow(rest[0]);
          if (list.length === 0) out(ctx.io, '; no DKIM keys yet (mailstop dkim keygen DOMAIN)');
          for (const d of list) printDomain(ctx.io, d);
          return EX_OK;
        }
        case 'check': {
          want(1);
          const items = await api.dkimCheck(rest[0]);
          printCheck(ctx.io, items);
          return items.some((i) => i.level === 'error') ? EX_DATAERR : EX_OK;
        }
        case 'enable':
        case 'disable': {
          want(1);
          printDomain(ctx.io, await api.dkimSetSigning(rest[0], sub === 'enable'));
          return EX_OK;
        }
        case 'remove': {
          want(2);
          const left = await api.dkimRemove(rest[0], rest[1]);
          out(ctx.io, `; removed ${rest[1]} from ${rest[0]}; delete its TXT record from the zone too`);
          if (left) printDomain(ctx.io, left);
          return EX_OK;
        }
        default:
          throw new UsageError(sub ? `unknown dkim subcommand: ${sub}` : 'dkim needs a subcommand', USAGE);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      // DkimError (bad selector, unknown domain, unreadable key) from either side of the socket: one line.
      if (e instanceof Error && !(e instanceof TypeError) && !(e instanceof ReferenceError)) {
        err(ctx.io, e.message);
        return EX_DATAERR;
      }
      throw e;
    } finally {
      engine?.close();
    }
  },
};

function printDomain(io: CliIo, d: DkimDomainInfo): void {
  out(io, `; ${d.domain}: signing ${d.sign ? 'on' : 'OFF (mailstop dkim enable ' + d.domain + ')'}`);
  for (const k of d.keys) {
    out(io, `; ${k.selector} (${k.type}) ${k.signing ? 'signs new mail' : 'retired: keep it published until mail signed with it is old, then remove it'}`);
    out(io, k.zone ?? `; ${k.error}`);
  }
}

function printCheck(io: CliIo, items: ReadinessItem[]): void {
  const mark = { ok: 'ok   ', warn: 'WARN ', error: 'FIX  ' } as const;
  for (const i of items) {
    out(io, `${mark[i.level]} ${i.item.toUpperCase()}: ${i.detail}`);
    if (i.fix) out(io, `      fix: ${i.fix}`);
  }
}

/** The DKIM API over config.json when no engine runs. */
async function offlineApi(home: string): Promise<Api> {
  let settings: Settings = await loadSettings(home);
  return createDkimApi({
    settings: () => settings, home, dns: createDns(() => settings.dns),
    async updateSettings(patch) {
      const r = applyPatch(settings, patch);
      if (!r.ok) return r;
      await saveSettings(home, r.settings);
      settings = r.settings;
      return r;
    },
  });
}
