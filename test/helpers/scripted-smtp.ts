// A raw `net` SMTP peer that plays a script: exact replies (enhanced codes as
// written), a silent greeting, a disconnect at a chosen step, garbage after
// STARTTLS. For the failure cases a well-behaved smtp-server cannot produce.
// Every connection replays the same script; a function action sees which
// connection it is on, so "fail the first time, accept the second" is easy.
// It speaks just enough SMTP for a client to reach each step; it never does TLS.
import net, { type AddressInfo } from 'node:net';

/**
 * What to do at a step:
 * - a string / array: the reply line(s), written verbatim with CRLF;
 * - `{ reply?, raw?, close?, hang? }`: reply (optional), then raw bytes (e.g. garbage
 *   instead of a TLS handshake), then close the socket, or never answer (`hang`).
 */
export type ScriptAction =
  | string
  | string[]
  | { reply?: string | string[]; raw?: string | Buffer; close?: boolean; hang?: boolean };

/** BODY fires on the first DATA bytes (disconnect mid-DATA); DOT on the final ".". */
export type ScriptVerb =
  | 'EHLO' | 'HELO' | 'MAIL' | 'RCPT' | 'DATA' | 'BODY' | 'DOT'
  | 'RSET' | 'QUIT' | 'STARTTLS' | 'AUTH' | 'NOOP' | 'OTHER';

export interface ScriptContext {
  /** 0-based index of this connection since the server started. */
  connection: number;
  /** Client lines of this connection so far (including the current one). */
  lines: string[];
}

export type ScriptStep = ScriptAction | ((arg: string, ctx: ScriptContext) => ScriptAction | undefined);

export interface ScriptedSmtpOptions {
  address?: string;
  port?: number;
  /** Default "220 scripted.test ESMTP". A function gets ("", ctx). */
  greeting?: ScriptStep;
  /** EHLO keywords after the first line. */
  extensions?: string[];
  /** Per command: the action; undefined from a function = the default reply. */
  on?: Partial<Record<ScriptVerb, ScriptStep>>;
}

export interface ScriptedMessage { mailFrom: string; rcptTo: string[]; raw: Buffer }

export interface ScriptedSmtp {
  address: string;
  port: number;
  host: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Per connection: "C: MAIL FROM:<a@b>" / "S: 250 ..." lines, DATA content left out. */
  log: string[][];
  /** Messages whose final "." got a 2xx from the script. */
  messages: ScriptedMessage[];
  close(): Promise<void>;
}

export const DEFAULT_EXTENSIONS = ['PIPELINING', 'SIZE 10485760', '8BITMIME', 'ENHANCEDSTATUSCODES', 'DSN', 'SMTPUTF8'];

const DEFAULTS: Record<ScriptVerb, string> = {
  EHLO: '', // built from extensions
  HELO: '250 scripted.test',
  MAIL: '250 2.1.0 Ok',
  RCPT: '250 2.1.5 Ok',
  DATA: '354 End data with <CR><LF>.<CR><LF>',
  BODY: '', // no reply: just keep reading
  DOT: '250 2.0.0 Ok: queued as SCRIPTED',
  RSET: '250 2.0.0 Ok',
  QUIT: '221 2.0.0 Bye',
  STARTTLS: '454 4.7.0 TLS not available',
  AUTH: '504 5.5.4 Unrecognized authentication type',
  NOOP: '250 2.0.0 Ok',
  OTHER: '502 5.5.2 Error: command not recognized',
};

const VERBS = new Set(['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'STARTTLS', 'AUTH', 'NOOP']);

export async function startScriptedSmtp(opts: ScriptedSmtpOptions = {}): Promise<ScriptedSmtp> {
  const log: string[][] = [];
  const messages: ScriptedMessage[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const extensions = opts.extensions ?? DEFAULT_EXTENSIONS;

  const server = net.createServer((socket) => {
    const index = connections++;
    const lines: string[] = [];
    const transcript: string[] = [];
    log.push(transcript);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => { /* the client went away; the log shows where */ });

    let buffer = Buffer.alloc(0);
    let inData = false;
    let bodyStarted = false;
    let dead = false;
    let tx: ScriptedMessage = { mailFrom: '', rcptTo: [], raw: Buffer.alloc(0) };
    const ctx: ScriptContext = { connection: index, lines };

    /** Runs an action; returns false when the session is over or hung. */
    const act = (action: ScriptAction | undefined, fallback: string): boolean => {
      const a = action ?? fallback;
      const obj = typeof a === 'string' || Array.isArray(a) ? { reply: a } : a;
      const reply = obj.reply === undefined || obj.reply === '' ? [] : ([] as string[]).concat(obj.reply);
      for (const line of reply.join('\r\n').split('\r\n')) transcript.push(`S: ${line}`);
      if (reply.length) socket.write(reply.join('\r\n') + '\r\n');
      if (obj.raw !== undefined) socket.write(obj.raw);
      if (obj.close) { dead = true; socket.end(); return false; }
      if (obj.hang) { dead = true; return false; }
      return true;
    };
    const step = (verb: ScriptVerb, arg: string, fallback: string): { ok: boolean; reply: string } => {
      const s = opts.on?.[verb];
      const action = typeof s === 'function' ? s(arg, ctx) : s;
      const a = action ?? fallback;
      const first = typeof a === 'string' ? a : Array.isArray(a) ? a[a.length - 1] : ([] as string[]).concat(a.reply ?? '').pop() ?? '';
      return { ok: act(action, fallback), reply: first };
    };

    const onLine = (line: string) => {
      lines.push(line);
      transcript.push(`C: ${/^AUTH\b/i.test(line) ? line.split(' ').slice(0, 2).join(' ') + ' ***' : line}`);
      const [word, ...rest] = line.split(' ');
      const verb = (VERBS.has(word.toUpperCase()) ? word.toUpperCase() : 'OTHER') as ScriptVerb;
      const arg = rest.join(' ');
      let fallback = DEFAULTS[verb];
      if (verb === 'EHLO') {
        const all = ['scripted.test', ...extensions];
        fallback = all.map((e, i) => `250${i === all.length - 1 ? ' ' : '-'}${e}`).join('\r\n');
      }
      if (verb === 'QUIT') { step(verb, arg, fallback); if (!dead) { dead = true; socket.end(); } return; }
      const { ok, reply } = step(verb, arg, fallback);
      if (!ok) return;
      if (verb === 'MAIL' && /^2/.test(reply)) tx = { mailFrom: addr(arg), rcptTo: [], raw: Buffer.alloc(0) };
      if (verb === 'RCPT' && /^2/.test(reply)) tx.rcptTo.push(addr(arg));
      if (verb === 'DATA' && /^354/.test(reply)) { inData = true; bodyStarted = false; }
    };

    const pump = () => {
      while (!dead) {
        if (inData) {
          if (!bodyStarted && buffer.length > 0) {
            bodyStarted = true;
            if (!step('BODY', '', DEFAULTS.BODY).ok) return;
          }
          // RFC 5321 §4.1.1.4: the data ends with CRLF "." CRLF (the body starts after 354).
          const text = buffer.toString('latin1');
          const end = text.startsWith('.\r\n') ? 0 : text.indexOf('\r\n.\r\n');
          if (end < 0) return;
          const body = end === 0 ? Buffer.alloc(0) : buffer.subarray(0, end + 2);
          buffer = buffer.subarray(end === 0 ? 3 : end + 5);
          inData = false;
          transcript.push(`C: <${body.length} octets of DATA>`, 'C: .');
          const { ok, reply } = step('DOT', '', DEFAULTS.DOT);
          if (/^2/.test(reply)) messages.push({ ...tx, raw: unstuff(body) });
          if (!ok) return;
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.subarray(0, nl).toString('utf8');
        buffer = buffer.subarray(nl + 2);
        onLine(line);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (dead) return;
      buffer = Buffer.concat([buffer, chunk]);
      pump();
    });

    const g = opts.greeting;
    const greeting = typeof g === 'function' ? g('', ctx) : g;
    act(greeting, '220 scripted.test ESMTP');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.address ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    address,
    port,
    host: `${address}:${port}`,
    get connections() { return connections; },
    log,
    messages,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function addr(arg: string): string {
  const m = /<([^>]*)>/.exec(arg);
  return m ? m[1] : '';
}

/** Undo dot-stuffing (RFC 5321 §4.5.2). */
function unstuff(body: Buffer): Buffer {
  return Buffer.from(body.toString('latin1').replace(/(^|\r\n)\./g, '$1'), 'latin1');
}
