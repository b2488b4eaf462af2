// Test rig for smtpd: the real pipeline head (smtpd → policy → cleanup → spool on
// disk, maillog on disk) on 127.0.0.1:0, and a raw SMTP client that sends exact
// bytes and reads replies, for dialogues where a library client would "fix" the input.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Listener } from '../../../engine/api.ts';
import { createCleanup } from '../../../engine/cleanup/index.ts';
import { SettingsSchema, type Settings, type SettingsInput } from '../../../engine/config/schema.ts';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { createMailLog, type MailLog } from '../../../engine/log/maillog.ts';
import { createPolicy } from '../../../engine/policy/index.ts';
import { createSpool } from '../../../engine/queue/spool.ts';
import type { Spool } from '../../../engine/queue/types.ts';
import type { SmtpPolicy } from '../../../engine/policy/types.ts';
import { createSmtpd, type ListenerName, type Smtpd, type SmtpdDeps } from '../../../engine/smtpd/index.ts';

export const HOST = 'mx.example.org';

export interface Rig {
  home: string;
  settings: Settings;
  spool: Spool;
  smtpd: Smtpd;
  log: MailLog;
  logLines: string[];
  queued: QueueEntry[];
  listener: Listener;
  /** Ids of the entries committed in the spool right now (asked through the spool, not file names). */
  committed(): Promise<string[]>;
  close(): Promise<void>;
}

/** `policy` replaces the real one only where a test needs verdicts the first policy never gives. */
export async function startRig(input: SettingsInput = {}, listen: ListenerName = 'smtp', policyOverride?: SmtpPolicy, extra: Pick<SmtpdDeps, 'onEtrn'> = {}): Promise<Rig> {
  const home = await mkdtemp(join(tmpdir(), 'mailstop-smtpd-'));
  const settings = SettingsSchema.parse({ hostname: HOST, domains: { local: ['example.org'] }, ...input });
  const spool = createSpool(join(home, 'spool'));
  const logLines: string[] = [];
  const log = createMailLog({ file: join(home, 'log', 'maillog'), hostname: HOST, onLine: (l) => logLines.push(l) });
  const queued: QueueEntry[] = [];
  const cleanup = createCleanup({ spool, settings: () => settings, onQueued: (e) => queued.push(e) });
  const policy = policyOverride ?? createPolicy({ settings: () => settings });
  const smtpd = createSmtpd({ settings: () => settings, cleanup, policy, spool, log, hostname: () => HOST, home, ...extra });
  const listener = await smtpd.listen(listen, '127.0.0.1', 0);
  return {
    home, settings, spool, smtpd, log, logLines, queued, listener,
    async committed() {
      return (await spool.list()).map((e) => e.id).sort();
    },
    async close() {
      await smtpd.close();
      await log.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A raw SMTP client: exact bytes out, whole replies (multi-line joined by \n) in. */
export class RawClient {
  private buf = '';
  private replies: string[] = [];
  private waiters: ((r: string | null) => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buf += d;
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private parse(): void {
    // A reply ends with a line "NNN text" (space after the code), RFC 5321 §4.2.1.
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buf);
      if (!m) return;
      this.buf = this.buf.slice(m[0].length);
      const reply = m[0].replace(/\r\n$/, '').split('\r\n').join('\n');
      const w = this.waiters.shift();
      if (w) w(reply);
      else this.replies.push(reply);
    }
  }

  /** The next reply, or null if the server closed the connection first. */
  reply(): Promise<string | null> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  async cmd(line: string): Promise<string | null> {
    this.send(line + '\r\n');
    return this.reply();
  }

  /** Resolves once the server has closed the connection. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Connect, read the greeting, EHLO; returns the client. */
export async function ehlo(port: number, localAddress?: string): Promise<RawClient> {
  const c = await RawClient.connect(port, localAddress);
  await c.reply();
  await c.cmd('EHLO client.example');
  return c;
}

/** "250 2.1.0 Accepted" → "250 2.1.0" (code and enhanced code only, for tables). */
export function codeOf(reply: string | null): string {
  if (reply === null) return 'closed';
  const m = /^(\d{3})[ -](\d\.\d{1,3}\.\d{1,3} )?/.exec(reply.split('\n').pop()!);
  return m ? (m[1] + (m[2] ? ' ' + m[2].trim() : '')) : reply;
}
