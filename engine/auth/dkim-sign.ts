// DKIM signing of mail that leaves the machine (issue 15; RFC 6376, RFC 8463).
//
// Where: at the smtp transport, once per delivery attempt, over the exact bytes
// handed to the SMTP client — not at cleanup. Cleanup already did the sender
// rewriting (masquerading, genericstable), so the stored From is the one that is
// sent and signed; signing afterwards also covers the DSNs we generate for our
// own domains (they pass through cleanup and leave by this transport), keys
// added or rotated while mail waits in the queue, and it never signs a message
// that is delivered locally. Cleanup could not sign anyway without holding the
// whole message: the signature goes on top, but the body hash is known only at
// its end, and cleanup streams the body to the spool. Any later change to the
// body (an 8BITMIME → quoted-printable downgrade) must happen before signOutbound
// runs, or the signature breaks: sign the form that is sent.
//
// Which mail: From: domain (or a parent domain, relaxed DMARC alignment) with
// keys and `sign: true`, from a trusted source (the sendmail CLI, our own
// bounces, authenticated or relay-permitted SMTP clients) — never a
// stranger's mail we only forward. A problem (missing key file, a header the
// signer chokes on) is logged and the message goes out unsigned, never lost.
import type { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DkimKey, Settings } from '../config/schema.ts';
import type { ClientInfo, OutboundMessage } from '../contracts.ts';
import { DkimError, readPrivateKey } from './dkim-keys.ts';
import { buffer } from 'node:stream/consumers';

type DkimSign = typeof import('mailauth/lib/dkim/sign.js')['dkimSign'];

/** mailauth's signer (~5 MB of heap): loaded by the first message signed, not by a server that signs nothing. */
let signer: Promise<typeof import('mailauth/lib/dkim/sign.js')> | null = null;
const loadSigner = () => (signer ??= import('mailauth/lib/dkim/sign.js'));

export interface SignDeps {
  settings: Settings;
  home: string;
  /**
   * Turns 8-bit content into its 7-bit MIME form (transports/downgrade-8bit.ts, passed
   * in so this stage needs nothing from transports). A signed 8-bit message is
   * converted first and sent 7-bit to every peer: a downgrade after signing, for a
   * peer without 8BITMIME, would break the signature (RFC 6376 §5.3).
   */
  toSevenBit?: (message: Buffer) => Buffer;
  /** One maillog line about this message. */
  log?: (text: string) => void;
  now?: () => Date;
}

/** The header block is at most smtp.maxHeadersLength (32 000 by default); 1 MiB bounds a message without one. */
const MAX_HEADER_SCAN = 1024 * 1024;

/**
 * Mail we vouch for: the sendmail command, our own bounces, SMTP AUTH users and
 * clients that may relay. Not a stranger's message that only passes through — not
 * even one that came in on the submission port without logging in.
 */
export function isTrustedSource(client: ClientInfo | undefined): boolean {
  if (!client) return false;
  return client.daemon === 'cli' || client.daemon === 'bounce' || !!client.user || !!client.internal;
}

/** The domain of the (first) From: address, lower-case; null when there is none. */
export function fromDomain(headers: string): string | null {
  const m = /^from[ \t]*:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im.exec(headers);
  if (!m) return null;
  const value = m[1].replace(/\r?\n/g, '').replace(/\([^()]*\)/g, ' ');
  const angle = /<[^<>@]*@([^<>\s]+)>/.exec(value);
  const bare = /[^\s<>,;:"]+@([A-Za-z0-9.-]+)/.exec(value);
  const d = (angle ?? bare)?.[1];
  return d ? d.toLowerCase().replace(/\.$/, '') : null;
}

/** The configured domain that signs for `domain`: itself, else the nearest parent with keys. */
export function signingDomainFor(domain: string, settings: Settings): string | null {
  const labels = domain.split('.');
  // config.json written by hand may say "Shop.Test"; domains compare case-insensitively.
  const configured = Object.keys(settings.dkim.domains);
  for (let i = 0; i < labels.length - 1; i++) {
    const d = labels.slice(i).join('.');
    const hit = configured.find((c) => c.toLowerCase().replace(/\.$/, '') === d);
    if (hit) return hit;
  }
  return null;
}

export async function readHeaderText(open: () => NodeJS.ReadableStream): Promise<string> {
  const stream = open() as Readable;
  let text = '';
  try {
    for await (const chunk of stream) {
      text += Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) return text.slice(0, end + 2);
      if (text.length > MAX_HEADER_SCAN) break;
    }
    return text;
  } finally {
    stream.destroy();
  }
}

/**
 * The message as it should be sent: with DKIM-Signature fields on top when this
 * message is ours to sign, else unchanged. Never throws for a signing problem.
 */
export async function signOutbound(message: OutboundMessage, deps: SignDeps): Promise<OutboundMessage> {
  const { settings } = deps;
  if (Object.keys(settings.dkim.domains).length === 0 || !isTrustedSource(message.client)) return message;
  const log = deps.log ?? (() => undefined);
  let domain: string | null = null;
  try {
    // A small message is read once (spool.readInline) and every pass below reads that copy.
    const small = message.bytes?.();
    if (small) message = { ...message, open: () => Readable.from([small]), bytes: () => small };
    domain = fromDomain(await readHeaderText(() => message.open()));
  } catch (err) {
    log(`DKIM: not signed: the message could not be read (${(err as Error).message}); sending it unsigned`);
    return message;
  }
  if (!domain) {
    log('DKIM: not signed: the message has no From: address; sending it unsigned');
    return message;
  }
  const signer = signingDomainFor(domain, settings);
  if (!signer) return message; // not a domain we sign for: nothing to say
  const config = settings.dkim.domains[signer];
  if (!config.sign) return message;
  const keys = config.keys.filter((k) => k.signing);
  if (keys.length === 0) {
    log(`DKIM: not signed: ${signer} has no signing key (mailstop dkim keygen ${signer}); sending it unsigned`);
    return message;
  }
  const loaded: { key: DkimKey; privateKey: KeyObject }[] = [];
  for (const key of keys) {
    try {
      loaded.push({ key, privateKey: await readPrivateKey(deps.home, key) });
    } catch (err) {
      if (!(err instanceof DkimError)) throw err;
      log(`DKIM: selector ${key.selector} of ${signer} not used: ${err.message}`);
    }
  }
  if (loaded.length === 0) {
    log(`DKIM: not signed: no usable key for ${signer}; sending it unsigned`);
    return message;
  }
  if (message.body === '8BITMIME' && deps.toSevenBit) {
    try {
      const seven = deps.toSevenBit(await buffer(message.open()));
      message = { ...message, body: '7BIT', size: seven.length, open: () => Readable.from([seven]), bytes: () => seven };
    } catch (err) {
      log(`DKIM: not signed: the message could not be read (${(err as Error).message}); sending it unsigned`);
      return message;
    }
  }
  let signatures: string;
  try {
    const { dkimSign } = await loadSigner();
    const result = await dkimSign(message.open() as Readable, {
      canonicalization: 'relaxed/relaxed',
      signTime: deps.now?.() ?? new Date(),
      signatureData: loaded.map(({ key, privateKey }) => ({
        signingDomain: signer,
        selector: key.selector,
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        algorithm: key.type === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256',
      })),
      // mailauth's typings want one key at the top level; signatureData carries them all.
    } as unknown as Parameters<DkimSign>[1]);
    for (const e of result.errors ?? []) log(`DKIM: signer problem for ${signer}: ${describe(e)}`);
    signatures = (result.signatures ?? '').replace(/^(\r\n)+$/, '');
  } catch (err) {
    log(`DKIM: not signed: the signer refused the message (${(err as Error).message}); sending it unsigned`);
    return message;
  }
  if (!/^DKIM-Signature:/i.test(signatures)) {
    log(`DKIM: not signed: the signer produced no signature for ${signer} (a message without the empty line after its headers cannot be signed); sending it unsigned`);
    return message;
  }
  const head = Buffer.from(signatures.endsWith('\r\n') ? signatures : `${signatures}\r\n`, 'latin1');
  log(`DKIM: signed as d=${signer} s=${loaded.map((l) => l.key.selector).join(',')}`);
  return {
    ...message,
    size: message.size + head.length,
    open: () => Readable.from(prefixed(head, message.open())),
    bytes: () => {
      const rest = message.bytes?.();
      return rest && Buffer.concat([head, rest]);
    },
  };
}

async function* prefixed(head: Buffer, rest: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of rest as AsyncIterable<Buffer | string>) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object') {
    // mailauth reports { selector, signingDomain, err }.
    const o = e as { selector?: string; err?: unknown; error?: unknown; message?: string };
    const cause = o.err ?? o.error;
    const inner = cause instanceof Error ? cause.message : o.message ?? String(cause ?? 'unknown problem');
    return o.selector ? `selector ${o.selector}: ${inner}` : inner;
  }
  return String(e);
}
