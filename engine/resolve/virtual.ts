// Virtual users: Sendmail's virtusertable (Postfix: virtual_alias_maps). Looked up
// for an address in one of our domains after the domain is known to be ours and
// before aliases (Sendmail's order: ruleset 0 consults virtusertable for $=w and
// VirtHost domains, the local mailer then applies aliases). Keys: "user@domain",
// then "user@domain" without a +detail, then the catch-all "@domain". Targets:
// an address, a local user, "%1@other.example" (%1 = the original local part), or
// one "error:..." line. Pure lookups on settings; never writes.
import type { Settings } from '../config/schema.ts';
export { virtualDomains } from '../config/our-domains.ts';

export interface VirtualHit { key: string; targets: string[] }

function find(table: Record<string, string[]>, key: string): VirtualHit | null {
  const k = key.toLowerCase();
  for (const [name, targets] of Object.entries(table)) if (name.toLowerCase() === k) return { key: name, targets };
  return null;
}

export function lookupVirtual(settings: Pick<Settings, 'virtual'>, local: string, domain: string): VirtualHit | null {
  const table = settings.virtual ?? {};
  const exact = find(table, `${local}@${domain}`);
  if (exact) return exact;
  const plus = local.indexOf('+');
  if (plus > 0) {
    const base = find(table, `${local.slice(0, plus)}@${domain}`);
    if (base) return base;
  }
  return find(table, `@${domain}`);
}

/** Sendmail's named error codes for error:NAME (cf/README "error mailer"). */
const NAMED: Record<string, string> = {
  nouser: '5.1.1', nohost: '5.1.2', unavailable: '5.0.0', software: '5.3.0', oserr: '4.3.0',
  tempfail: '4.0.0', noperm: '5.7.1', protocol: '5.5.0', config: '5.3.5', dataerr: '5.6.0', usage: '5.5.4',
};

export type VirtualError = { status: string; text: string } | { invalid: string };

/**
 * "error:nouser User unknown", "error:5.7.1:550 Go away", "error:5.1.1 No such user",
 * "error:550 No such user" → enhanced status and text. Null when not an error target.
 */
export function parseVirtualError(target: string): VirtualError | null {
  const m = /^error:(.*)$/is.exec(target.trim());
  if (!m) return null;
  const rest = m[1].trim();
  const named = /^([a-z]+)\s*(.*)$/i.exec(rest);
  if (named && NAMED[named[1].toLowerCase()]) return { status: NAMED[named[1].toLowerCase()], text: named[2] || named[1] };
  const coded = /^([245]\.\d{1,3}\.\d{1,3})(?::(\d{3}))?\s*(.*)$/.exec(rest) ?? null;
  if (coded) return { status: coded[1], text: coded[3] || 'rejected' };
  const reply = /^([45])(\d\d)\s+(.*)$/.exec(rest);
  if (reply) return { status: `${reply[1]}.0.0`, text: reply[3] };
  return { invalid: `"${target}": use error:nouser text, error:5.1.1 text or error:550 text` };
}

/** "%1@other.example" → the original local part carried over (catch-all forwarding). */
export function substitute(target: string, local: string): string {
  return target.replace(/%1/g, local);
}
