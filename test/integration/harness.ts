// Test harness for whole-engine tests: a real engine on loopback (port 0), a real
// dns2 server whose MX records point at 127.0.0.1, a real smtp-server sink that
// plays every remote MX (delivery.remotePort = its port), and a clock the test
// moves by hand. Nothing here imitates our own code.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { createEngine, type Engine } from '../../engine/index.ts';
import type { EngineEvent } from '../../engine/api.ts';
import type { SettingsInput } from '../../engine/config/schema.ts';
import type { Clock } from '../../engine/contracts.ts';
import { startDnsServer, type DnsServer, type ZoneRecords } from '../helpers/dns-server.ts';
import { startSink, type Sink, type SinkOptions } from '../helpers/sink.ts';

export class TestClock implements Clock {
  constructor(public t = Date.UTC(2025, 0, 6, 9, 0, 0)) {}
  now(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}

export const MIN = 60_000;
export const HOUR = 3600_000;
export const DAY = 86400_000;

/** dest.test and sender.test: MX → mx.<domain> → 127.0.0.1; nullmx.test: RFC 7505 null MX. */
export function defaultZone(): ZoneRecords {
  return {
    'dest.test': { mx: [{ priority: 10, exchange: 'mx.dest.test' }] },
    'mx.dest.test': { a: ['127.0.0.1'] },
    'sender.test': { mx: [{ priority: 10, exchange: 'mx.sender.test' }] },
    'mx.sender.test': { a: ['127.0.0.1'] },
    'other.test': { mx: [{ priority: 10, exchange: 'mx.other.test' }] },
    'mx.other.test': { a: ['127.0.0.1'] },
    'nullmx.test': { mx: [{ priority: 0, exchange: '' }] },
    'smarthost.test': { a: ['127.0.0.1'] },
  };
}

export interface Harness {
  home: string;
  engine: Engine;
  dns: DnsServer;
  sink: Sink;
  clock: TestClock;
  events: EngineEvent[];
  smtpPort: number;
  /** The settings the engine was created with (to create another on the same home). */
  settings: SettingsInput;
  /** Send one message over SMTP to the engine's smtp listener. */
  send(from: string, to: string[], body?: string): Promise<string>;
  /** Submit through EngineApi.submit (the CLI's path). */
  submit(from: string, to: string[], body?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  settings?: (h: { dns: DnsServer; sink: Sink }) => SettingsInput;
  sink?: SinkOptions;
  zone?: ZoneRecords;
  timers?: boolean;
  /** Do not start the engine (tests that prepare the spool first). */
  noStart?: boolean;
  /** Engine stop() grace for deliveries in flight (default the engine's 5 s). */
  stopGraceMs?: number;
}

export function message(from: string, to: string[], body = 'Hello.'): string {
  return `From: <${from}>\r\nTo: ${to.map((t) => `<${t}>`).join(', ')}\r\nSubject: test\r\n\r\n${body}\r\n`;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-it-'));
  const dns = await startDnsServer(opts.zone ?? defaultZone());
  const sink = await startSink(opts.sink);
  const clock = new TestClock();
  const base: SettingsInput = {
    hostname: 'mta.test',
    listen: { address: '127.0.0.1', smtp: 0, submission: false, smtps: false },
    dns: { servers: [dns.server], timeout: '2s' },
    delivery: { remotePort: sink.port, connectTimeout: '5s' },
  };
  const extra = opts.settings?.({ dns, sink }) ?? {};
  const settings = {
    ...base, ...extra,
    delivery: { ...base.delivery, ...(extra.delivery ?? {}) },
  } as SettingsInput;
  const engine = await createEngine({
    home, settings, clock, timers: opts.timers ?? false, passwdFile: '',
    ...(opts.stopGraceMs !== undefined ? { stopGraceMs: opts.stopGraceMs } : {}),
  });
  const events: EngineEvent[] = [];
  engine.subscribe((e) => events.push(e));
  let smtpPort = 0;
  if (!opts.noStart) {
    await engine.start();
    smtpPort = (await engine.status()).listeners.find((l) => l.name === 'smtp')?.port ?? 0;
  }

  const send = async (from: string, to: string[], body?: string): Promise<string> => {
    const conn = new SMTPConnection({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true, name: 'client.test' });
    await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
    try {
      const info = await new Promise<{ response: string }>((resolve, reject) =>
        conn.send({ from, to }, message(from, to, body), (err, i) => (err ? reject(err) : resolve(i as { response: string }))));
      return info.response;
    } finally {
      conn.quit();
    }
  };
  const submit = async (from: string, to: string[], body?: string): Promise<string> => {
    const r = await engine.submit({
      envelope: { sender: from, recipients: to.map((address) => ({ address })) },
      messageBase64: Buffer.from(message(from, to, body).replace(/\r\n/g, '\n')).toString('base64'),
    });
    return r.id;
  };
  return {
    home, engine, dns, sink, clock, events, smtpPort, settings, send, submit,
    async stop() {
      await engine.stop();
      await sink.close();
      await dns.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}
