// Field errors for the security settings that the zod schema cannot judge on its
// own: access map keys and actions, relay networks (CIDR), DNSBL answer codes and
// users' password hashes. engine/config/load.ts semanticErrors() adds these, so a
// bad entry is refused by updateSettings and at start-up with its field named
// (`access[3].key: …`), and the running server keeps its last good settings.
// Pure; never does I/O.
import { isIP } from 'node:net';
import type { FieldError } from '../contracts.ts';
import type { Settings } from './schema.ts';
import { validateAccessRules } from './access-map.ts';
import { validateUsers } from './password-hash.ts';
import { hostNameError } from './names.ts';

/** `domains.relay`: "192.168.0.0/24", "10.0.0.5", "2001:db8::/32" or a domain. */
export function validateRelayEntries(entries: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  entries.forEach((raw, i) => {
    const entry = raw.trim();
    const path = `domains.relay[${i}]`;
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const ip = entry.slice(0, slash);
      const prefix = entry.slice(slash + 1);
      const family = isIP(ip);
      if (!family) errors.push({ path, message: `"${entry}" is not a network: "${ip}" is not an IP address` });
      else if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) {
        errors.push({ path, message: `"${entry}" has a bad prefix length "/${prefix}" (0–${family === 4 ? 32 : 128})` });
      }
    } else if (!isIP(entry) && (/^[\d.]+$/.test(entry) || hostNameError(entry.replace(/^\./, '')))) {
      errors.push({ path, message: `"${entry}" is not an IP address, a network (CIDR) or a domain` });
    }
  });
  return errors;
}

/** `antispam.dnsbl[i].match`: "127.0.0.2" exactly or "127.0.0." as a prefix. */
function validateDnsbl(lists: Settings['antispam']['dnsbl']): FieldError[] {
  const errors: FieldError[] = [];
  lists.forEach((list, i) => {
    list.match.forEach((m, j) => {
      if (isIP(m) !== 4 && !/^(\d{1,3}\.){1,3}$/.test(m)) {
        errors.push({ path: `antispam.dnsbl[${i}].match[${j}]`, message: `"${m}" is not an answer code such as 127.0.0.2 or a prefix such as 127.0.0.` });
      }
    });
  });
  return errors;
}

export function validateSecuritySettings(s: Settings): FieldError[] {
  return [
    ...validateAccessRules(s.access),
    ...validateRelayEntries(s.domains.relay),
    ...validateDnsbl(s.antispam.dnsbl),
    ...validateUsers(s.users),
  ];
}
