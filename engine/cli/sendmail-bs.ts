// `sendmail -bs`: an SMTP dialogue on stdin/stdout (RFC 5321), as Sendmail
// offers it to programs that prefer SMTP to the command line (some MUAs, inetd
// set-ups). The peer is the local user, so there is no relay or auth policy
// here: each accepted message is handed to submitMessage exactly like
// `sendmail` would, through the engine or into the spool. A minimal server:
// HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY (252), QUIT.
// Binary-safe: lines are read as bytes, so an 8-bit (Latin-1, UTF-8) message is
// stored byte for byte; a DATA cut off by the end of input queues nothing.
import type { DsnNotify, Envelope, RecipientRequest } from '../contracts.ts';
import { SmtpError } from '../contracts.ts';
import { loadSettings } from '../config/load.ts';
import { addressSyntaxError } from '../policy/address.ts';
import { EX_DATAERR, EX_OK } from './exit-codes.ts';
import { err, type CliIo } from './io.ts';
import { submitMessage } from './submit.ts';
import { qualify } from './sendmail-message.ts';
import { byteLines } from './byte-lines.ts';

const PATH_RE = /^<([^<>]*)>(?:\s+(.*))?$/;
/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its CRLF. */
const MAX_COMMAND_LINE = 512;

/** A parameter refusal: the reply code and text for one MAIL or RCPT. */
class ParamError extends Error {
  constructor(readonly code: number, text: string) { super(text); }
}

/** RFC 3461 §4: xtext "+XX" escapes decoded; control characters refused. */
function xtext(v: string, name: string): string {
  const decoded = v.replace(/\+([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(decoded)) throw new ParamError(501, `5.5.4 ${name} contains a control character`);
  return decoded;
}

function params(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of (text ?? '').split(/\s+/).filter(Boolean)) {
    const eq = p.indexOf('=');
    out.set((eq < 0 ? p : p.slice(0, eq)).toUpperCase(), eq < 0 ? '' : p.slice(eq + 1));
  }
  return out;
}

/** MAIL FROM parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 3461 RET/ENVID, RFC 6531 SMTPUTF8). */
function mailParams(text: string | undefined, maxSize: number): Pick<Envelope, 'ret' | 'envid' | 'body' | 'smtputf8'> {
  const out: Pick<Envelope, 'ret' | 'envid' | 'body' | 'smtputf8'> = {};
  for (const [k, v] of params(text)) {
    if (k === 'SIZE') {
      if (!/^\d+$/.test(v)) throw new ParamError(501, '5.5.4 SIZE wants a number');
      if (Number(v) > maxSize) throw new ParamError(552, `5.3.4 Message size exceeds fixed maximum message size (${maxSize} octets)`);
    } else if (k === 'BODY') {
      const b = v.toUpperCase();
      if (b !== '7BIT' && b !== '8BITMIME') throw new ParamError(501, '5.5.4 BODY wants 7BIT or 8BITMIME');
      out.body = b;
    } else if (k === 'RET') {
      const r = v.toUpperCase();
      if (r !== 'FULL' && r !== 'HDRS') throw new ParamError(501, '5.5.4 RET wants FULL or HDRS');
      out.ret = r;
    } else if (k === 'ENVID') {
      if (!v || v.length > 100) throw new ParamError(501, '5.5.4 ENVID must be 1 to 100 characters (RFC 3461 §4.4)');
      out.envid = xtext(v, 'ENVID');
    } else if (k === 'SMTPUTF8') {
      out.smtputf8 = true;
    } else throw new ParamError(555, `5.5.4 Unsupported MAIL parameter ${k}`);
  }
  return out;
}

/** RCPT TO parameters (RFC 3461 NOTIFY and ORCPT). */
function rcptParams(text: string | undefined): Pick<RecipientRequest, 'notify' | 'orcpt'> {
  const out: Pick<RecipientRequest, 'notify' | 'orcpt'> = {};
  for (const [k, v] of params(text)) {
    if (k === 'NOTIFY') {
      const words = v.toUpperCase().split(',');
      const ok = words.every((w) => ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'].includes(w));
      // RFC 3461 §4.1: NEVER must appear alone.
      if (!ok || (words.includes('NEVER') && words.length > 1)) throw new ParamError(501, '5.5.4 NOTIFY wants NEVER or SUCCESS,FAILURE,DELAY');
      out.notify = words as DsnNotify[];
    } else if (k === 'ORCPT') {
      if (!/^[A-Za-z0-9-]+;./.test(v)) throw new ParamError(501, '5.5.4 ORCPT wants addr-type;address (RFC 3461 §4.2)');
      out.orcpt = xtext(v, 'ORCPT');
    } else throw new ParamError(555, `5.5.4 Unsupported RCPT parameter ${k}`);
  }
  return out;
}

export async function smtpOnStdio(home: string, io: CliIo): Promise<number> {
  let hostname = 'localhost';
  let maxSize = 15 * 1024 * 1024;
  try {
    const s = await loadSettings(home);
    hostname = s.hostname;
    maxSize = s.smtp.maxMessageSize;
  } catch { /* defaults; submit reports config trouble */ }
  const reply = (code: number, text: string | string[]) => {
    const lines = Array.isArray(text) ? text : [text];
    lines.forEach((l, i) => io.stdout.write(`${code}${i < lines.length - 1 ? '-' : ' '}${l}\r\n`));
  };
  const lines = byteLines(io.stdin);
  const next = async () => { const r = await lines.next(); return r.done ? null : r.value; };

  let envelope: Envelope | null = null;
  let greeted = false;
  reply(220, `${hostname} ESMTP Mailstop (sendmail -bs)`);
  for (;;) {
    const raw = await next();
    if (raw === null) break;
    // Commands are ASCII (RFC 5321 §2.4); SMTPUTF8 addresses are UTF-8.
    const line = raw.toString('utf8');
    if (raw.length > MAX_COMMAND_LINE) { reply(500, '5.5.2 Line too long'); continue; }
    const verb = line.slice(0, 4).toUpperCase();
    const arg = line.slice(4).trim();
    if (verb === 'EHLO') { greeted = true; envelope = null; reply(250, [hostname, '8BITMIME', 'SMTPUTF8', `SIZE ${maxSize}`, 'ENHANCEDSTATUSCODES', 'DSN', 'PIPELINING']); }
    else if (verb === 'HELO') { greeted = true; envelope = null; reply(250, hostname); }
    else if (verb === 'NOOP') reply(250, '2.0.0 OK');
    else if (verb === 'RSET') { envelope = null; reply(250, '2.0.0 OK'); }
    else if (verb === 'QUIT') { reply(221, `2.0.0 ${hostname} closing connection`); break; }
    else if (verb === 'VRFY') reply(252, '2.5.2 Cannot VRFY user; try RCPT to attempt delivery');
    else if (verb === 'MAIL') {
      const m = /^FROM:\s*(.*)$/i.exec(arg);
      const path = m && PATH_RE.exec(m[1]);
      const why = path && path[1] !== '' ? addressSyntaxError(path[1]) : null;
      if (!greeted) reply(503, '5.5.1 Say HELO or EHLO first');
      else if (envelope) reply(503, '5.5.1 Sender already specified');
      else if (!path) reply(501, '5.5.4 Syntax: MAIL FROM:<address>');
      else if (why) reply(553, `5.1.7 Bad sender address syntax: ${why}`);
      else {
        try {
          envelope = { sender: qualify(path[1], hostname), recipients: [], ...mailParams(path[2], maxSize) };
          reply(250, '2.1.0 Sender ok');
        } catch (e) {
          if (!(e instanceof ParamError)) throw e;
          reply(e.code, e.message);
        }
      }
    } else if (verb === 'RCPT') {
      const m = /^TO:\s*(.*)$/i.exec(arg);
      const path = m && PATH_RE.exec(m[1]);
      const why = path && path[1] ? addressSyntaxError(path[1]) : null;
      if (!envelope) reply(503, '5.5.1 Need MAIL before RCPT');
      else if (!path || !path[1]) reply(501, '5.5.4 Syntax: RCPT TO:<address>');
      else if (why) reply(553, `5.1.3 Bad recipient address syntax: ${why}`);
      else {
        try {
          envelope.recipients.push({ address: path[1], ...rcptParams(path[2]) });
          reply(250, '2.1.5 Recipient ok');
        } catch (e) {
          if (!(e instanceof ParamError)) throw e;
          reply(e.code, e.message);
        }
      }
    } else if (verb === 'DATA') {
      if (!envelope || !envelope.recipients.length) { reply(503, '5.5.1 Need RCPT before DATA'); continue; }
      reply(354, 'Enter mail, end with "." on a line by itself');
      const data = await readData(next, maxSize);
      if (data === 'eof') {
        // RFC 5321 §4.1.1.4: only "." ends the data; an input cut off is not a message.
        err(io, 'input ended inside DATA (no "." line): message not queued');
        return EX_DATAERR;
      }
      if (data === 'too big') reply(552, `5.3.4 Message size exceeds fixed maximum message size (${maxSize} octets)`);
      else {
        try {
          const r = await submitMessage(home, envelope, data, io.env);
          reply(250, `2.0.0 ${r.id} Message accepted for delivery`);
        } catch (e) {
          if (e instanceof SmtpError) reply(e.responseCode, e.message);
          else reply(451, `4.3.0 Cannot queue the message: ${(e as Error).message}`);
        }
      }
      envelope = null;
    } else reply(502, '5.5.2 Command not implemented');
  }
  return EX_OK;
}

/**
 * The message after a 354, byte for byte with CRLF line ends and dots unstuffed
 * (RFC 5321 §4.5.2); 'too big' once it passes the size limit (the rest is still
 * read up to the "." so the dialogue stays in step); 'eof' if input ends first.
 */
async function readData(next: () => Promise<Buffer | null>, maxSize: number): Promise<Buffer | 'eof' | 'too big'> {
  const body: Buffer[] = [];
  let size = 0;
  for (;;) {
    const l = await next();
    if (l === null) return 'eof';
    if (l.length === 1 && l[0] === 0x2e) break;
    if (size > maxSize) continue;
    const line = l[0] === 0x2e ? l.subarray(1) : l;
    size += line.length + 2;
    body.push(line, CRLF);
  }
  return size > maxSize ? 'too big' : Buffer.concat(body);
}

const CRLF = Buffer.from('\r\n');
