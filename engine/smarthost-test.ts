// "Test connection" / "Send test message" for the smart host form: connect, TLS,
// AUTH and optionally one short message, reported step by step in words a person
// can act on. It only talks to the smart host; it never touches the queue, and it
// tests the settings it is given (the unsaved form) rather than the saved ones.
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Settings, SmartHost } from './config/schema.ts';
import { durationMs } from './config/schema.ts';
import type { SmartHostTestOptions, SmartHostTestStep } from './contracts.ts';

type Conn = InstanceType<typeof SMTPConnection>;

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { response?: string; code?: string };
  // The server's own reply is the most useful thing to show ("535 5.7.8 bad credentials").
  return e.response ? `${e.response}` : `${e.message}${e.code ? ` (${e.code})` : ''}`;
}

interface TlsSocketView { getProtocol?: () => string | null; getCipher?: () => { name: string }; authorized?: boolean; authorizationError?: Error | string }

function tlsDetail(conn: Conn): string {
  const socket = (conn as unknown as { _socket?: TlsSocketView })._socket;
  const protocol = socket?.getProtocol?.() ?? 'TLS';
  const cipher = socket?.getCipher?.()?.name;
  const what = cipher ? `${protocol} (${cipher})` : protocol;
  // Delivery does not insist on a valid certificate (Sendmail's verify=FAIL still
  // sends), so neither does the test; it says what it saw.
  if (socket?.authorized) return `${what}, certificate verified`;
  const why = socket?.authorizationError;
  return `${what}, certificate not verified${why ? ` (${why instanceof Error ? why.message : why})` : ''}`;
}

/** The message sent by "Send test message": short, plain, and says where it came from. */
function testMessage(from: string, to: string, hostname: string, smartHost: string): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: Mailstop smart host test`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <test.${Date.now()}@${hostname}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `This test message was sent by Mailstop on ${hostname} through ${smartHost}.`,
    '',
  ].join('\r\n');
}

/**
 * Run one SMTPConnection call to its end. nodemailer reports some failures only
 * as an 'error' event (refused connection, TLS handshake) or a close, never
 * through the callback, so all three settle the promise.
 */
function settle<T>(conn: Conn, run: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (err: Error): void => finish(err);
    const onEnd = (): void => finish(new Error('the server closed the connection'));
    function finish(err: Error | null | undefined, value?: T): void {
      conn.off('error', onError);
      conn.off('end', onEnd);
      if (err) reject(err);
      else resolve(value as T);
    }
    conn.on('error', onError);
    conn.once('end', onEnd);
    run(finish);
  });
}

function isTlsFailure(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === 'ETLS' || /certificate|ssl|tls/i.test(e.message ?? '');
}

export async function testSmartHost(settings: Settings, smartHost: SmartHost | null | undefined, options: SmartHostTestOptions = {}): Promise<SmartHostTestStep[]> {
  const steps: SmartHostTestStep[] = [];
  if (!smartHost) return [{ step: 'connect', ok: false, detail: 'no smart host is configured' }];
  const host = smartHost.host.replace(/^\[|\]$/g, '');
  const where = `${smartHost.host}:${smartHost.port}`;
  const timeout = durationMs(settings.delivery.connectTimeout);
  const conn = new SMTPConnection({
    host,
    port: smartHost.port,
    secure: smartHost.tls === 'implicit',
    ignoreTLS: smartHost.tls === 'none',
    requireTLS: smartHost.tls === 'starttls' && smartHost.requireTls,
    name: settings.hostname,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // Same trust rule as the smtp transport (transports/smtp-session.ts), so the test predicts delivery.
    tls: { rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) },
  });
  // Failures are reported through settle(); this keeps a late 'error' (after QUIT) from throwing.
  conn.on('error', () => undefined);
  try {
    await settle<void>(conn, (done) => conn.connect((err?: Error) => done(err)));
  } catch (err) {
    if (isTlsFailure(err)) {
      // The server answered; the encryption failed (untrusted certificate, no common protocol).
      if (smartHost.tls === 'starttls') steps.push({ step: 'connect', ok: true, detail: `${where} answered EHLO` });
      steps.push({ step: 'tls', ok: false, detail: `TLS with ${where} failed: ${errorText(err)}` });
    } else {
      steps.push({ step: 'connect', ok: false, detail: `could not talk to ${where}: ${errorText(err)}` });
    }
    conn.close();
    return steps;
  }
  steps.push({ step: 'connect', ok: true, detail: `${where} answered EHLO` });

  if (conn.secure) steps.push({ step: 'tls', ok: true, detail: `encrypted with ${tlsDetail(conn)}` });
  else if (smartHost.tls === 'none') steps.push({ step: 'tls', ok: true, detail: 'TLS is off for this smart host (plain text)' });
  else steps.push({ step: 'tls', ok: !smartHost.requireTls, detail: 'the server did not offer STARTTLS; mail would go unencrypted' });

  let failed = steps.some((s) => !s.ok);
  if (!failed && smartHost.auth) {
    try {
      await settle<void>(conn, (done) => conn.login({ user: smartHost.auth!.user, pass: smartHost.auth!.pass }, (err?: Error | null) => done(err)));
      steps.push({ step: 'auth', ok: true, detail: `logged in as ${smartHost.auth.user}` });
    } catch (err) {
      steps.push({ step: 'auth', ok: false, detail: `login as ${smartHost.auth.user} refused: ${errorText(err)}` });
      failed = true;
    }
  } else if (!failed) {
    steps.push({ step: 'auth', ok: true, detail: 'no credentials configured; not logging in' });
  }

  if (!failed && options.sendTo) {
    const from = options.from ?? `postmaster@${settings.hostname}`;
    try {
      const info = await settle<{ response: string }>(conn, (done) =>
        conn.send({ from, to: [options.sendTo!] }, testMessage(from, options.sendTo!, settings.hostname, where),
          (err: Error | null, i: { response: string }) => done(err, i)));
      steps.push({ step: 'send', ok: true, detail: `accepted for ${options.sendTo}: ${info.response}` });
    } catch (err) {
      steps.push({ step: 'send', ok: false, detail: `not accepted for ${options.sendTo}: ${errorText(err)}` });
    }
  }
  conn.quit();
  return steps;
}
