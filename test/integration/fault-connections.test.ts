// Fault suite, hostile peers (issue 11 "What must hold" 2): one address holding
// every socket it may — idle, or dripping one byte at a time (slowloris) — must
// not stop another client from being served on the SMTP port or on submission.
// The strangers are other loopback addresses (127.0.0.3, 127.0.0.4); the honest
// client is 127.0.0.2. Real engine, real sockets; waits are generous, nothing is
// timed.
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../engine/config/schema.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.stop();
  h = undefined;
});

const sockets: net.Socket[] = [];

interface Raw { socket: net.Socket; greeting: Promise<string>; closed: Promise<string> }

/** A connection from `from` that reads the greeting and then whatever comes until close. */
function open(port: number, from: string): Raw {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  sockets.push(socket);
  socket.on('error', () => {});
  let all = '';
  const greeting = new Promise<string>((resolve) => {
    const onData = (d: Buffer) => {
      all += d.toString('latin1');
      if (all.includes('\r\n')) {
        socket.off('data', onData);
        resolve(all.slice(0, all.indexOf('\r\n')));
      }
    };
    socket.on('data', onData);
    socket.on('close', () => resolve(all));
  });
  const closed = new Promise<string>((resolve) => {
    let rest = '';
    void greeting.then(() => socket.on('data', (d) => { rest += d.toString('latin1'); }));
    socket.on('close', () => resolve(rest));
  });
  return { socket, greeting, closed };
}

/** One message from `from` on `port`; the final reply. */
async function sendFrom(port: number, from: string, to: string): Promise<string> {
  const conn = new SMTPConnection({ host: '127.0.0.1', port, localAddress: from, ignoreTLS: true, name: 'honest.test', connectionTimeout: 20_000 });
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) => conn.connect((err?: Error) => (err ? reject(err) : resolve())));
  try {
    const info = await new Promise<{ response: string }>((resolve, reject) =>
      conn.send({ from: 'alice@honest.test', to: [to] }, `From: <alice@honest.test>\r\nTo: <${to}>\r\nSubject: hi\r\n\r\nHello.\r\n`,
        (err, i) => (err ? reject(err) : resolve(i as { response: string }))));
    return info.response;
  } finally {
    conn.quit();
  }
}

async function start(smtp: SettingsInput['smtp']): Promise<{ smtp: number; submission: number }> {
  h = await startHarness({
    settings: () => ({ listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: false }, smtp }),
  });
  const listeners = (await h.engine.status()).listeners;
  return {
    smtp: listeners.find((l) => l.name === 'smtp')!.port,
    submission: listeners.find((l) => l.name === 'submission')!.port,
  };
}

/** Sends one byte every 500 ms until the socket closes: never a complete command. */
function drip(s: net.Socket): void {
  const t = setInterval(() => { if (!s.destroyed) s.write('N'); else clearInterval(t); }, 500);
  s.on('close', () => clearInterval(t));
}

describe('connection limits', () => {
  it('a stranger holding its limit of idle and dripping sockets does not stop another client on either port', async () => {
    const ports = await start({ clientConnLimit: 10 });
    const held = Array.from({ length: 10 }, () => open(ports.smtp, '127.0.0.3'));
    for (const r of held) expect(await r.greeting).toMatch(/^220 /);
    held.slice(0, 5).forEach((r) => drip(r.socket));

    // Its next connections, on either port, are refused with the limit named.
    const extra = open(ports.smtp, '127.0.0.3');
    expect(await extra.greeting).toMatch(/^421 4\.7\.0 .*Too many concurrent connections from \[127\.0\.0\.3\] \(smtp\.clientConnLimit 10\)/);
    const extraSub = open(ports.submission, '127.0.0.3');
    expect(await extraSub.greeting).toMatch(/^421 4\.7\.0 .*smtp\.clientConnLimit 10/);

    // Everyone else is served on both ports.
    expect(await sendFrom(ports.smtp, '127.0.0.2', 'postmaster@mta.test')).toMatch(/^250 /);
    expect(await sendFrom(ports.submission, '127.0.0.2', 'postmaster@mta.test')).toMatch(/^250 /);
    const log = h!.events.flatMap((e) => (e.type === 'log:line' ? [e.line] : []));
    expect(log.join('\n')).toMatch(/Connection concurrency limit exceeded: 11 from \[127\.0\.0\.3\] for service smtp/);
  }, 60_000);

  it('submission has its own pool; a full SMTP pool sheds idle sessions under stress', async () => {
    const ports = await start({ maxDaemonChildren: 4, clientConnLimit: 2 });
    const held = [
      ...Array.from({ length: 2 }, () => open(ports.smtp, '127.0.0.3')),
      ...Array.from({ length: 2 }, () => open(ports.smtp, '127.0.0.4')),
    ];
    for (const r of held) expect(await r.greeting).toMatch(/^220 /);
    drip(held[0].socket);

    // Port 25's pool is full: the pool is named; submission is not affected.
    const full = open(ports.smtp, '127.0.0.2');
    expect(await full.greeting).toMatch(/^421 4\.3\.2 .*smtp\.maxDaemonChildren 4/);
    expect(await sendFrom(ports.submission, '127.0.0.2', 'postmaster@mta.test')).toMatch(/^250 /);

    // Under stress the idle (and the dripping) sessions are let go: no complete command
    // in the stress timeout. Then the honest client gets in on port 25 too.
    for (const r of held) expect(await r.closed).toMatch(/421 4\.4\.2 .*timeout exceeded/);
    expect(await sendFrom(ports.smtp, '127.0.0.2', 'postmaster@mta.test')).toMatch(/^250 /);
  }, 90_000);

  it('a client over its connection rate is refused with the limit named; the local machine is exempt', async () => {
    const ports = await start({ clientConnRate: 3 });
    for (let i = 0; i < 3; i++) {
      const r = open(ports.smtp, '127.0.0.3');
      expect(await r.greeting).toMatch(/^220 /);
      r.socket.end('QUIT\r\n');
    }
    const over = open(ports.smtp, '127.0.0.3');
    expect(await over.greeting).toMatch(/^421 4\.7\.0 .*Too many connections from \[127\.0\.0\.3\] in the last minute \(smtp\.clientConnRate 3\)/);
    // Local programs (127.0.0.1) submit in bursts and are not limited per client.
    for (let i = 0; i < 5; i++) expect(await sendFrom(ports.smtp, '127.0.0.1', 'postmaster@mta.test')).toMatch(/^250 /);
  }, 60_000);
});
