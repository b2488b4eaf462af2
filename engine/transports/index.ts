// The one entry point qmgr uses to hand a message to a transport. Owns only the
// dispatch by Destination.transport, the two trivial transports (discard,
// error) and the process's SMTP connection cache (smtp-cache.ts). Never
// retries, never decides what a result means for the queue — that is qmgr's
// job; never resolves addresses — that is resolve's.
import type { DeliveryReport, DeliveryResult, Destination, OutboundMessage } from '../contracts.ts';
import type { Settings } from '../config/schema.ts';
import type { Dns } from '../dns/resolver.ts';
import { deliverSmtp } from './smtp.ts';
import { deliverLocal } from './local.ts';
import { deliverPipe } from './pipe.ts';
import { deliverFile } from './file.ts';
import { ConnectionCache } from './smtp-cache.ts';
import { signOutbound } from '../auth/dkim-sign.ts';
import { downgrade8bit } from './downgrade-8bit.ts';

/** Everything any transport may need; each takes the part it uses. */
export interface TransportContext {
  settings: Settings;
  dns: Dns;
  /** Our name for EHLO and Received: lines. */
  hostname: string;
  /** The data directory (mailboxes, files and programs run relative to it). */
  home: string;
  onTranscript?: (line: string) => void;
  /**
   * Fires when the engine stops and no longer waits for this attempt. qmgr already
   * stops waiting then and keeps the mail queued; a transport that honours it only
   * frees its connection or child process sooner. (smtp.ts does not yet.)
   */
  signal?: AbortSignal;
  /** SMTP sessions to reuse; the process-wide cache when not given. */
  cache?: ConnectionCache;
  /** A maillog line about this message (DKIM signing says what it did or why not). */
  log?: (text: string) => void;
}

// Default idle sessions per destination before the first settings are seen: delivery.concurrency's default.
let perDestination = 10;

/**
 * The process's SMTP connection cache (Postfix's scache). At most
 * delivery.concurrency idle sessions per destination: more could never be in use
 * at once, since qmgr runs no more attempts than that in parallel.
 */
const smtpCache = new ConnectionCache(() => perDestination);

/** QUIT every idle cached SMTP session (engine stop). Sessions in use finish on their own. */
export function closeIdleConnections(): void { smtpCache.closeIdle(); }

export type TransportFn = (message: OutboundMessage, recipients: Destination[], ctx: TransportContext) => Promise<DeliveryReport>;

/** One transaction for recipients sharing (transport, nexthop, port): qmgr groups them. */
export async function deliver(message: OutboundMessage, recipients: Destination[], ctx: TransportContext): Promise<DeliveryReport> {
  if (recipients.length === 0) return { results: [], transcript: [] };
  const transport = recipients[0].transport;
  switch (transport) {
    case 'smtp':
      perDestination = ctx.settings.delivery.concurrency;
      // Only mail that leaves the machine is DKIM-signed; why here, see auth/dkim-sign.ts.
      return deliverSmtp(await signOutbound(message, { ...ctx, toSevenBit: (m) => downgrade8bit(m, ctx.settings.hostname).message }),
        recipients, { ...ctx, cache: ctx.cache ?? smtpCache });
    case 'local': return deliverLocal(message, recipients, ctx);
    case 'pipe': return deliverPipe(message, recipients, ctx);
    case 'file': return deliverFile(message, recipients, ctx);
    case 'discard': return discard(recipients);
    case 'error': return errorRoute(recipients);
    default: {
      const never: never = transport;
      throw new Error(`unknown transport: ${String(never)}`);
    }
  }
}

/** Sendmail's discard mailer / alias to /dev/null: accepted, then nothing. */
function discard(recipients: Destination[]): DeliveryReport {
  return {
    results: recipients.map((d) => ({ address: d.address, status: 'sent', reply: 'discarded', dsnStatus: '2.0.0' })),
    transcript: [],
  };
}

/**
 * mailertable `error:` routes: nexthop carries "5.7.1:text", "550 5.7.1 text" or
 * just "text". A 4.x.x code defers (Sendmail's error mailer does the same with 4xx).
 */
export function errorRoute(recipients: Destination[]): DeliveryReport {
  const results: DeliveryResult[] = recipients.map((d) => {
    const { code, enhanced, text } = parseErrorRoute(d.nexthop);
    const status = enhanced.startsWith('4') ? 'deferred' : 'bounced';
    return { address: d.address, status, reply: `${code} ${enhanced} ${text}`, dsnStatus: enhanced };
  });
  return { results, transcript: [] };
}

export function parseErrorRoute(spec: string): { code: number; enhanced: string; text: string } {
  const s = spec.trim();
  let m = /^([245]\d\d)[ :]+([245]\.\d{1,3}\.\d{1,3})[ :]*(.*)$/.exec(s);
  if (m) return { code: Number(m[1]), enhanced: m[2], text: m[3] || 'Address rejected' };
  m = /^([245]\.\d{1,3}\.\d{1,3})[ :]*(.*)$/.exec(s);
  if (m) return { code: m[1].startsWith('4') ? 451 : 550, enhanced: m[1], text: m[2] || 'Address rejected' };
  m = /^([245]\d\d)[ :]+(.*)$/.exec(s);
  if (m) return { code: Number(m[1]), enhanced: `${m[1][0]}.0.0`, text: m[2] || 'Address rejected' };
  return { code: 550, enhanced: '5.0.0', text: s || 'Address rejected' };
}
