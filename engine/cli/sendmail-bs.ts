// `sendmail -bs`: an SMTP dialogue on stdin/stdout (RFC 5321), as Sendmail
// offers it to programs that prefer SMTP to the command line (some MUAs, inetd
// set-ups). The peer is the local user, so there is no relay or auth policy
// here: each accepted message is handed to submitMessage exactly like
// `sendmail` would, through the engine or into the spool. A minimal server:
// HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY (252), QUIT.
import readline from 'node:readline';
import type { Envelope, RecipientRequest } from '../contracts.ts';
import { SmtpError } from '../contracts.ts';
import { loadSettings } from '../config/load.ts';
import { EX_OK } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { submitMessage } from './submit.ts';
import { qualify } from './sendmail-message.ts';

const PATH_RE = /^<([^<>]*)>(?:\s+(.*))?$/;

/** RFC 3461 §4.1 NOTIFY values from a RCPT parameter list. */
function rcptParams(params: string): Pick<RecipientRequest, 'notify' | 'orcpt'> {
  const out: Pick<RecipientRequest, 'notify' | 'orcpt'> = {};
  for (const p of params.split(/\s+/).filter(Boolean)) {
    const [k, v = ''] = p.split('=');
    if (k.toUpperCase() === 'NOTIFY') out.notify = v.toUpperCase().split(',') as RecipientRequest['notify'];
    if (k.toUpperCase() === 'ORCPT') out.orcpt = v;
  }
  return out;
}

export async function smtpOnStdio(home: string, io: CliIo): Promise<number> {
  let hostname = 'localhost';
  try { hostname = (await loadSettings(home)).hostname; } catch { /* defaults; submit reports config trouble */ }
  const reply = (code: number, text: string | string[]) => {
    const lines = Array.isArray(text) ? text : [text];
    lines.forEach((l, i) => io.stdout.write(`${code}${i < lines.length - 1 ? '-' : ' '}${l}\r\n`));
  };
  const lines = readline.createInterface({ input: io.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async () => { const r = await lines.next(); return r.done ? null : r.value.replace(/\r$/, ''); };

  let envelope: Envelope | null = null;
  let greeted = false;
  reply(220, `${hostname} ESMTP Mailstop (sendmail -bs)`);
  for (;;) {
    const line = await next();
    if (line === null) break;
    const verb = line.slice(0, 4).toUpperCase();
    const arg = line.slice(4).trim();
    if (verb === 'EHLO') { greeted = true; envelope = null; reply(250, [hostname, '8BITMIME', 'ENHANCEDSTATUSCODES', 'DSN', 'PIPELINING']); }
    else if (verb === 'HELO') { greeted = true; envelope = null; reply(250, hostname); }
    else if (verb === 'NOOP') reply(250, '2.0.0 OK');
    else if (verb === 'RSET') { envelope = null; reply(250, '2.0.0 OK'); }
    else if (verb === 'QUIT') { reply(221, `2.0.0 ${hostname} closing connection`); break; }
    else if (verb === 'VRFY') reply(252, '2.5.2 Cannot VRFY user; try RCPT to attempt delivery');
    else if (verb === 'MAIL') {
      const m = /^FROM:\s*(.*)$/i.exec(arg);
      const path = m && PATH_RE.exec(m[1]);
      if (!greeted) reply(503, '5.5.1 Say HELO or EHLO first');
      else if (envelope) reply(503, '5.5.1 Sender already specified');
      else if (!path) reply(501, '5.5.4 Syntax: MAIL FROM:<address>');
      else {
        envelope = { sender: qualify(path[1], hostname), recipients: [] };
        reply(250, '2.1.0 Sender ok');
      }
    } else if (verb === 'RCPT') {
      const m = /^TO:\s*(.*)$/i.exec(arg);
      const path = m && PATH_RE.exec(m[1]);
      if (!envelope) reply(503, '5.5.1 Need MAIL before RCPT');
      else if (!path || !path[1]) reply(501, '5.5.4 Syntax: RCPT TO:<address>');
      else { envelope.recipients.push({ address: path[1], ...rcptParams(path[2] ?? '') }); reply(250, '2.1.5 Recipient ok'); }
    } else if (verb === 'DATA') {
      if (!envelope || !envelope.recipients.length) { reply(503, '5.5.1 Need RCPT before DATA'); continue; }
      reply(354, 'Enter mail, end with "." on a line by itself');
      const body: string[] = [];
      for (;;) {
        const l = await next();
        if (l === null || l === '.') break;
        body.push(l.startsWith('.') ? l.slice(1) : l); // RFC 5321 §4.5.2 dot-unstuffing
      }
      try {
        const r = await submitMessage(home, envelope, Buffer.from(body.join('\n') + '\n', 'utf8'), io.env);
        reply(250, `2.0.0 ${r.id} Message accepted for delivery`);
      } catch (e) {
        if (e instanceof SmtpError) reply(e.responseCode, e.message);
        else reply(451, `4.3.0 Cannot queue the message: ${(e as Error).message}`);
      }
      envelope = null;
    } else reply(502, '5.5.2 Command not implemented');
  }
  return EX_OK;
}
