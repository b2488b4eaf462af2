// The DKIM part of EngineApi (issue 15): generate a key for a sending domain
// (which turns signing on), list every key with the TXT record to publish,
// switch signing off and on, remove a retired key, and the readiness check of
// DKIM / SPF / DMARC over the configured resolvers. Keys live in files under
// <home>/dkim/ (engine/auth/dkim-keys.ts); the list of them in settings `dkim`,
// changed only through the engine's updateSettings (validated and saved there).
// Bad input is a DkimError with words a person can act on.
import type { SettingsPatch, SettingsUpdate } from './contracts.ts';
import type { DkimApi, DkimDomainInfo, DkimRecordInfo } from './types/dkim.ts';
import type { DkimKey, Settings } from './config/schema.ts';
import type { Dns } from './dns/resolver.ts';
import {
  DkimError, checkSelector, freshSelector, generateKey, normalDomain, publicValueOf, recordStrings, removeKeyFile,
  sendingDomains, zoneLine, type DkimKeyType,
} from './auth/dkim-keys.ts';
import { checkReadiness } from './auth/readiness.ts';

export { DKIM_API_METHODS, type DkimApi, type DkimDomainInfo, type DkimKeygenOptions, type DkimRecordInfo, type ReadinessItem } from './types/dkim.ts';

export interface DkimApiDeps {
  settings: () => Settings;
  home: string;
  dns: Dns;
  updateSettings: (patch: SettingsPatch) => Promise<SettingsUpdate>;
  now?: () => number;
}

export function createDkimApi(deps: DkimApiDeps): DkimApi {
  const info = async (domain: string, key: DkimKey): Promise<DkimRecordInfo> => {
    const base = { domain, selector: key.selector, type: key.type, signing: key.signing, file: key.file };
    try {
      const p = await publicValueOf(deps.home, key);
      return { ...base, zone: zoneLine(domain, key.selector, key.type, p), strings: recordStrings(key.type, p) };
    } catch (err) {
      if (!(err instanceof DkimError)) throw err;
      return { ...base, zone: null, strings: null, error: err.message };
    }
  };
  const domainInfo = async (domain: string, s = deps.settings()): Promise<DkimDomainInfo> => {
    const c = s.dkim.domains[domain];
    return { domain, sign: c?.sign ?? false, keys: await Promise.all((c?.keys ?? []).map((k) => info(domain, k))) };
  };
  const known = (domain: string): string => {
    const d = normalDomain(domain);
    if (!deps.settings().dkim.domains[d]) throw new DkimError(`${d} has no DKIM keys (mailstop dkim keygen ${d})`);
    return d;
  };
  const save = async (domains: Settings['dkim']['domains']): Promise<Settings> => {
    const r = await deps.updateSettings({ dkim: { domains } });
    if (!r.ok) throw new DkimError(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    return r.settings;
  };

  return {
    async dkimKeygen(domain, options = {}) {
      const d = normalDomain(domain);
      const settings = deps.settings();
      if (!options.force && !sendingDomains(settings).includes(d)) {
        const ours = sendingDomains(settings);
        throw new DkimError(`${d} is not a domain we send for (${ours.length ? ours.join(', ') : 'none yet'}: the host name, domains.local, ` +
          'rewrite.masqueradeAs and rewrite.generics); add it there first, or use --force');
      }
      if (options.selector !== undefined) checkSelector(options.selector);
      const types: DkimKeyType[] = options.type === 'both' ? ['rsa', 'ed25519'] : [options.type ?? 'rsa'];
      const existing = settings.dkim.domains[d]?.keys ?? [];
      const taken = existing.map((k) => k.selector);
      const made: DkimKey[] = [];
      for (const type of types) {
        let selector = options.selector && types.length > 1 && type === 'ed25519' ? `${options.selector}-ed` : options.selector;
        if (selector && taken.some((t) => t.toLowerCase() === selector!.toLowerCase())) {
          throw new DkimError(`selector ${selector} is already used for ${d}; choose another (a rotation needs a new selector)`);
        }
        selector ??= freshSelector(type, new Date(deps.now?.() ?? Date.now()), taken);
        taken.push(selector);
        made.push((await generateKey(deps.home, d, selector, type)).key);
      }
      // Rotation: the old key of a type stops signing but stays listed (its record must
      // stay published until mail signed with it has been delivered and checked).
      const retired = existing.map((k) => (made.some((m) => m.type === k.type) ? { ...k, signing: false } : k));
      let saved: Settings;
      try {
        saved = await save({ ...settings.dkim.domains, [d]: { sign: true, keys: [...retired, ...made] } });
      } catch (err) {
        // Not in the settings, so nobody will ever use or remove them: take the new files back.
        await Promise.all(made.map((k) => removeKeyFile(deps.home, k.file).catch(() => undefined)));
        throw err;
      }
      return Promise.all(made.map((k) => info(d, saved.dkim.domains[d].keys.find((x) => x.selector === k.selector) ?? k)));
    },

    async dkimShow(domain) {
      const s = deps.settings();
      const names = domain === undefined ? Object.keys(s.dkim.domains).sort() : [known(domain)];
      return Promise.all(names.map((n) => domainInfo(n, s)));
    },

    async dkimSetSigning(domain, sign) {
      const d = known(domain);
      const s = deps.settings();
      return domainInfo(d, await save({ ...s.dkim.domains, [d]: { ...s.dkim.domains[d], sign } }));
    },

    async dkimRemove(domain, selector) {
      const d = known(domain);
      const s = deps.settings();
      const keys = s.dkim.domains[d].keys;
      const key = keys.find((k) => k.selector.toLowerCase() === selector.toLowerCase());
      if (!key) throw new DkimError(`${d} has no key with selector ${selector} (mailstop dkim show ${d})`);
      const rest = keys.filter((k) => k !== key);
      const domains = { ...s.dkim.domains };
      if (rest.length === 0) delete domains[d];
      else domains[d] = { ...domains[d], keys: rest };
      const saved = await save(domains);
      // The settings no longer name it: only now is the file safe to delete.
      await removeKeyFile(deps.home, key.file);
      return rest.length === 0 ? null : domainInfo(d, saved);
    },

    async dkimCheck(domain) {
      return checkReadiness(normalDomain(domain), { settings: deps.settings(), dns: deps.dns, home: deps.home });
    },
  };
}
