// RCPT-time verification of a local recipient (Sendmail refuses unknown local
// users in the SMTP dialogue): the same resolution delivery will use, asked as a
// question. Only a permanent failure with nothing deliverable is a refusal; a
// temporary one (DNS down for a forward's domain) lets the message in to retry.
import type { Resolver } from './index.ts';

export interface Refusal { code: number; enhanced: string; text: string }

export async function localRefusal(resolver: Resolver, address: string): Promise<Refusal | null> {
  const r = await resolver.resolve(address);
  if (r.destinations.length > 0) return null;
  const permanent = r.failures.find((f) => f.status.startsWith('5.'));
  return permanent ? { code: 550, enhanced: permanent.status, text: `<${address}>... ${permanent.reason}` } : null;
}
