// Delivery honesty (issue 11 "What must hold" 6): the maillog says when a hop was
// encrypted (Sendmail's STARTTLS=client line), and 8-bit content is declared to a
// peer that offers 8BITMIME and converted to valid quoted-printable for one that
// does not (RFC 6152) — never sent raw. The converted message is decoded by
// Python's email package, an implementation independent of ours, and must give
// back the same octets.
import { execFileSync } from 'node:child_process';
import { isAscii } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const logLines = (x: Harness) => x.events.flatMap((e) => (e.type === 'log:line' ? [e.line] : []));

const TEXT = 'Grüße aus Köln — naïve café, 5 €.\r\n' +
  `${'long line with ümlauts '.repeat(8)}end\r\n` +
  'trailing space \r\n' +
  '.a line that starts with a dot\r\n' +
  'a=b and tabs\there\r\n';
const HTML = '<p>Grüße — <b>fett</b></p>\r\n';
const BINARY = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x80, 0x0d, 0x0a, 0x41, 0x42]);

/** A multipart message with two 8-bit text parts and an 8-bit octet-stream part, CRLF lines. */
function eightBitMessage(): Buffer {
  return Buffer.concat([
    Buffer.from(
      'From: <alice@sender.test>\r\nTo: <bob@dest.test>\r\nSubject: 8bit\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="b1"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      TEXT +
      '--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      HTML +
      '--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n', 'utf8'),
    // An 8bit part may not hold NUL or bare CR/LF (RFC 2045 §2.8); keep to legal octets.
    Buffer.from(BINARY.filter((b) => b !== 0x00 && b !== 0x0d && b !== 0x0a)),
    Buffer.from('\r\n--b1--\r\nepilogue\r\n', 'utf8'),
  ]);
}

/** Decode with Python's email package: per leaf part, content type, CTE and decoded octets (hex). */
function pythonDecode(raw: Buffer): { type: string; cte: string; hex: string }[] {
  const script = `
import sys, json, email
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.compat32)
out = []
for part in m.walk():
    if part.is_multipart():
        continue
    out.append({"type": part.get_content_type(), "cte": str(part.get("Content-Transfer-Encoding", "")).lower(),
                "hex": part.get_payload(decode=True).hex()})
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: raw }).toString()) as { type: string; cte: string; hex: string }[];
}

/** Send raw bytes (CRLF, dot-stuffed here) with or without BODY=8BITMIME. */
async function sendRaw(x: Harness, raw: Buffer): Promise<string> {
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection');
  const conn = new SMTPConnection({ host: '127.0.0.1', port: x.smtpPort, ignoreTLS: true, name: 'client.test' });
  await new Promise<void>((resolve, reject) => conn.connect((err?: Error) => (err ? reject(err) : resolve())));
  try {
    const info = await new Promise<{ response: string }>((resolve, reject) =>
      conn.send({ from: 'alice@sender.test', to: ['bob@dest.test'] }, raw, (err, i) => (err ? reject(err) : resolve(i as { response: string }))));
    return info.response;
  } finally {
    conn.quit();
  }
}

describe('8-bit content', () => {
  it('goes to a peer without 8BITMIME as valid quoted-printable with the same decoded content', async () => {
    h = await startHarness({ sink: { serverOptions: { hide8BITMIME: true } } });
    const original = eightBitMessage();
    // Sent without BODY=8BITMIME, as many clients do: the engine sees the 8-bit octets itself.
    expect(await sendRaw(h, original)).toMatch(/^250 /);
    const [got] = await h.sink.waitForMessages(1, 20_000);
    expect(got.mailParams.BODY).toBeUndefined();
    expect(isAscii(got.raw), 'nothing 8-bit on the wire').toBe(true);
    for (const line of got.raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);

    const before = pythonDecode(original);
    const after = pythonDecode(got.raw);
    expect(after.map((p) => p.type)).toEqual(['text/plain', 'text/html', 'application/octet-stream']);
    expect(after.map((p) => p.cte)).toEqual(['quoted-printable', 'quoted-printable', 'base64']);
    expect(after.map((p) => p.hex)).toEqual(before.map((p) => p.hex));
    // QP lines obey RFC 2045 §6.7: at most 76 characters.
    const text = got.raw.toString('latin1');
    const qpBody = text.slice(text.indexOf('quoted-printable'), text.indexOf('--b1', text.indexOf('quoted-printable')));
    for (const line of qpBody.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    // The outer multipart is relabelled 7bit; preamble and epilogue kept.
    expect(text).toMatch(/Content-Type: multipart\/mixed; boundary="b1"\r\n(?:.*\r\n)*?Content-Transfer-Encoding: 7bit\r\n/);
    expect(text).toContain('\r\npreamble\r\n--b1\r\n');
    expect(text).toMatch(/--b1--\r\nepilogue\r\n$/);
  }, 60_000);

  it('is declared with BODY=8BITMIME to a peer that offers it, and arrives unchanged', async () => {
    h = await startHarness();
    const original = eightBitMessage();
    expect(await sendRaw(h, original)).toMatch(/^250 /);
    const [got] = await h.sink.waitForMessages(1, 20_000);
    expect(got.mailParams.BODY).toBe('8BITMIME');
    const text = got.raw.toString('latin1');
    // Our Received: header is added in front; the message itself is byte for byte the same.
    const at = got.raw.indexOf(original.subarray(0, 30));
    expect(at).toBeGreaterThan(0);
    expect(got.raw.subarray(at).equals(original)).toBe(true);
    expect(text).not.toContain('X-MIME-Autoconverted');
  }, 60_000);

  it('a 7-bit message goes to a 7-bit peer untouched and undeclared', async () => {
    h = await startHarness({ sink: { serverOptions: { hide8BITMIME: true } } });
    const plain = Buffer.from('From: <alice@sender.test>\r\nTo: <bob@dest.test>\r\nSubject: plain\r\n\r\nJust ASCII.\r\n');
    expect(await sendRaw(h, plain)).toMatch(/^250 /);
    const [got] = await h.sink.waitForMessages(1, 20_000);
    expect(got.mailParams.BODY).toBeUndefined();
    expect(got.raw.toString('latin1').endsWith(plain.toString('latin1'))).toBe(true);
  }, 60_000);
});

describe('outbound TLS in the maillog', () => {
  it('logs Sendmail\'s STARTTLS=client line for a delivery over STARTTLS', async () => {
    h = await startHarness({ sink: { tls: true } });
    expect(await h.send('alice@sender.test', ['bob@dest.test'])).toMatch(/^250 /);
    const [got] = await h.sink.waitForMessages(1, 20_000);
    expect(got.secure).toBe(true);
    const lines = logLines(h);
    const tls = lines.filter((l) => / STARTTLS=client, /.test(l));
    expect(tls).toHaveLength(1);
    // Self-signed sink certificate: verify=FAIL, as Sendmail says when it delivers anyway.
    expect(tls[0]).toMatch(/: \w+: STARTTLS=client, relay=mx\.dest\.test\., version=TLSv1\.[23], verify=FAIL, cipher=[\w-]+, bits=\d+\/\d+$/);
  }, 60_000);

  it('logs no STARTTLS line for a plain-text hop', async () => {
    h = await startHarness();
    expect(await h.send('alice@sender.test', ['bob@dest.test'])).toMatch(/^250 /);
    await h.sink.waitForMessages(1, 20_000);
    // The to= line follows the peer's 250; wait for it, then look at the whole attempt.
    for (let i = 0; i < 200 && !logLines(h).some((l) => / to=<bob@dest\.test>.*stat=Sent/.test(l)); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logLines(h).some((l) => / to=<bob@dest\.test>.*stat=Sent/.test(l))).toBe(true);
    expect(logLines(h).some((l) => l.includes('STARTTLS=client'))).toBe(false);
  }, 60_000);
});
