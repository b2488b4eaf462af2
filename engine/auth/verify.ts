// Checking what arrives (issue 15): SPF (RFC 7208), DKIM (RFC 6376, RFC 8463),
// DMARC (RFC 7489) and ARC (RFC 8617) of a message from a stranger on the SMTP
// port, by mailauth, through the engine's resolvers. The result is the header
// fields to put on top of the message — Authentication-Results (RFC 8601) with
// our host name as authserv-id, and Received-SPF — and what to do about a DMARC
// failure when `auth.enforceDmarc` is on: p=reject → 550 5.7.1, p=quarantine →
// hold in the queue or tag. A DNS failure is a temperror and never a refusal.
// Answers a question; never writes the spool or the log.
import type { Readable } from 'node:stream';
import type { Settings } from '../config/schema.ts';
import type { Dns } from '../dns/resolver.ts';
import { mailauthResolver } from './dns.ts';
import { authservId } from './authserv-id.ts';

export { authservId };

export interface InboundContext {
  /** Client IP address as the socket reports it. */
  ip: string;
  /** HELO/EHLO name, if the client gave one. */
  helo?: string;
  /** Envelope sender; '' for the null sender. */
  sender: string;
}

export interface AuthVerdict {
  /** Header fields to put on top of the message, each ending in CRLF. */
  headers: string;
  action: 'accept' | 'reject' | 'hold' | 'tag';
  /** For reject / hold / tag: why, in words (the SMTP reply text, the queue reason). */
  reason?: string;
  /** One line for the maillog: "spf=pass dkim=pass dmarc=pass arc=none". */
  summary: string;
}

export type Verify = (ctx: InboundContext, message: Readable) => Promise<AuthVerdict>;

export interface VerifyDeps {
  settings: () => Settings;
  dns: Dns;
  /** pct= sampling (RFC 7489 §6.6.4); tests may pin it. */
  random?: () => number;
}

const TEMP = new Set(['temperror', 'temperr']);

/**
 * mailauth with everything it brings (ARC, BIMI's certificate parsing, an HTTP
 * client, the public suffix list) is ~10 MB of heap and ~25 MB of RSS: loaded
 * when the first stranger's message is checked, not at start — a relay or a
 * laptop that only sends never pays for it.
 */
let mailauth: Promise<typeof import('mailauth')> | null = null;
const loadMailauth = () => (mailauth ??= import('mailauth'));

export function createVerifier(deps: VerifyDeps): Verify {
  const resolver = mailauthResolver(deps.dns);
  const random = deps.random ?? Math.random;
  return async (ctx, message) => {
    const settings = deps.settings();
    const mta = settings.hostname;
    const ip = ctx.ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const { authenticate } = await loadMailauth();
    const res = await authenticate(message, {
      ip, ...(ctx.helo ? { helo: ctx.helo } : {}), sender: ctx.sender, mta, resolver,
      // BIMI is about showing logos, not about trust; it may also fetch over HTTPS.
      disableBimi: true,
    });
    const dkimResults = (res.dkim?.results ?? []) as { status?: { result?: string } }[];
    const spf = (res.spf && typeof res.spf === 'object' ? res.spf.status?.result : undefined) ?? 'none';
    const dkim = dkimResults.length === 0 ? 'none' : dkimResults.map((r) => r.status?.result ?? 'none').join(',');
    const dmarc = res.dmarc ? (res.dmarc.status?.result ?? 'none') : 'none';
    const arc = res.arc ? (res.arc.status?.result ?? 'none') : 'none';
    const summary = `spf=${spf} dkim=${dkim} dmarc=${dmarc} arc=${arc}`;
    let headers = res.headers.endsWith('\r\n') ? res.headers : `${res.headers}\r\n`;
    const verdict: AuthVerdict = { headers, action: 'accept', summary };
    if (!settings.auth.enforceDmarc || !res.dmarc || dmarc !== 'fail') return verdict;
    // A DNS failure anywhere means we cannot know: temperror, never a refusal (RFC 7489 §6.6.3).
    if (TEMP.has(spf) || dkimResults.some((r) => TEMP.has(r.status?.result ?? ''))) return verdict;
    const policy = res.dmarc.policy;
    const pct = typeof res.dmarc.pct === 'number' ? res.dmarc.pct : 100;
    if (random() * 100 >= pct) return verdict;
    const from = res.dmarc.status?.header?.from ?? res.dmarc.domain ?? 'the From: domain';
    if (policy === 'reject') {
      return { ...verdict, action: 'reject', reason: `Message rejected: DMARC policy of ${from} says reject (SPF and DKIM do not align with From:)` };
    }
    if (policy === 'quarantine') {
      const reason = `DMARC quarantine: ${from} publishes p=quarantine and this message fails DMARC (${summary})`;
      if (settings.auth.quarantine === 'tag') {
        headers = `X-Quarantine: dmarc=fail (p=quarantine) header.from=${from}\r\n${headers}`;
        return { ...verdict, headers, action: 'tag', reason };
      }
      return { ...verdict, action: 'hold', reason };
    }
    return verdict;
  };
}

