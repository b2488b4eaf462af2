// The relay tester ("would 203.0.113.9 → victim@remote.example relay?"): asks the
// real policy the same questions smtpd asks for a session from that client, so
// the answer can never drift from what the server does. DNS block lists are left
// out unless a resolver is given (the question is about relaying, not spam).
// Answers questions; never writes, never opens a connection.
import { isIP } from 'node:net';
import type { Settings } from '../config/schema.ts';
import type { Dns } from '../dns/resolver.ts';
import { parseRecipient } from './address.ts';
import { createPolicy, isLocalDomain } from './index.ts';
import type { PolicySession, Verdict } from './types.ts';
import type { RelayTestRequest, RelayTestResult } from '../types/security.ts';

export type { RelayTestRequest, RelayTestResult } from '../types/security.ts';

const replyOf = (v: Verdict, okText: string) =>
  v.action === 'reject' || v.action === 'tempfail' ? `${v.code} ${v.enhanced} ${v.text}` : okText;

const greeting = (v: Verdict): Verdict =>
  v.action === 'reject' ? { ...v, code: 554, enhanced: '5.7.1' } : v.action === 'tempfail' ? { ...v, code: 421, enhanced: '4.7.1' } : v;

export async function testRelay(settings: Settings, req: RelayTestRequest, dns?: Dns): Promise<RelayTestResult> {
  if (!isIP(req.client)) throw new Error(`client: "${req.client}" is not an IP address`);
  const policy = createPolicy({ settings: () => settings, ...(dns ? { dns } : {}) });
  const localAddress = req.localAddress ?? (settings.listen.address === '0.0.0.0' || settings.listen.address === '::' ? '127.0.0.1' : settings.listen.address);
  const session: PolicySession = {
    client: {
      address: req.client, protocol: req.user ? 'ESMTPA' : 'ESMTP', daemon: 'smtp',
      ...(req.hostname ? { hostname: req.hostname } : {}), ...(req.user ? { user: req.user } : {}),
    },
    localAddress,
    recipients: [],
    badRecipients: 0,
  };
  const parsed = parseRecipient(req.recipient);
  const local = !!parsed && !parsed.routing && isLocalDomain(parsed.domain, session, settings);
  const refused = (v: Verdict) => v.action === 'reject' || v.action === 'tempfail';

  const connect = await policy.onConnect(session);
  // What smtpd sends instead of the greeting: only 554 or 421 are allowed there (RFC 5321 §3.1).
  if (refused(connect)) return { accepted: false, relayed: false, local, reply: replyOf(greeting(connect), ''), stage: 'connect' };
  const sender = req.sender ?? '';
  const mail = await policy.onMailFrom({ ...session, sender }, sender);
  if (refused(mail)) return { accepted: false, relayed: false, local, reply: replyOf(mail, ''), stage: 'mail' };
  const rcpt = await policy.onRcptTo({ ...session, sender }, req.recipient);
  const accepted = !refused(rcpt);
  return { accepted, relayed: accepted && !local, local, reply: replyOf(rcpt, '250 2.1.5 Ok'), stage: 'rcpt' };
}
