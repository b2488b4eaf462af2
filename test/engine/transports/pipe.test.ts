// Program delivery with real sh scripts in a temp directory: exit codes map
// through sysexits to sent / deferred / bounced, the program's words reach the
// reason, a hung program is killed and deferred.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SettingsSchema } from '../../../engine/config/schema.ts';
import type { Destination, OutboundMessage } from '../../../engine/contracts.ts';
import { deliverPipe } from '../../../engine/transports/pipe.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mailstop-pipe-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const TEXT = 'Subject: hi\r\n\r\nbody\r\n';
const message: OutboundMessage = { id: 'Q1', sender: 'carol@remote.example', size: TEXT.length, open: () => Readable.from([Buffer.from(TEXT)]) };
// A generous limit so a loaded machine never turns a quick script into a timeout;
// the hung-program case sets its own short one.
const ctx = (pipeTimeoutMs = 20_000) => ({ settings: SettingsSchema.parse({}), home: dir, hostname: 'mail.example.com', pipeTimeoutMs });

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}
function pipeTo(command: string): Destination {
  return { transport: 'pipe', nexthop: command, mailer: 'prog', address: `|${command}`, original: 'ticket@example.com' };
}

describe('deliverPipe', () => {
  it('exit 0 is sent, and the program reads the message and its envelope', async () => {
    const out = join(dir, 'got');
    const cmd = await script('ok.sh', `{ echo "$SENDER -> $ORIGINAL_RECIPIENT"; cat; } > ${out}; exit 0`);
    const report = await deliverPipe(message, [pipeTo(`${cmd} --flag`)], ctx());
    expect(report.results[0]).toMatchObject({ address: `|${cmd} --flag`, status: 'sent', dsnStatus: '2.0.0' });
    expect(await readFile(out, 'utf8')).toBe(
      'carol@remote.example -> ticket@example.com\nReturn-Path: <carol@remote.example>\nDelivered-To: ticket@example.com\nSubject: hi\n\nbody\n');
  });

  const table: { name: string; body: string; want: { status: string; dsnStatus: string }; says: RegExp; timeoutMs?: number }[] = [
    { name: 'EX_TEMPFAIL (75) defers', body: 'echo "mailbox busy, try later" >&2; exit 75',
      want: { status: 'deferred', dsnStatus: '4.3.0' }, says: /^451 4\.3\.0 .*temporary failure \(exit 75\): mailbox busy, try later$/ },
    { name: 'EX_NOUSER (67) bounces with the program\'s words', body: 'cat >/dev/null; echo "procmail: Unknown user \\"zed\\"" >&2; exit 67',
      want: { status: 'bounced', dsnStatus: '5.1.1' }, says: /^550 5\.1\.1 .*user unknown \(exit 67\): procmail: Unknown user "zed"$/ },
    { name: 'EX_OSERR (71) defers', body: 'exit 71',
      want: { status: 'deferred', dsnStatus: '4.3.0' }, says: /system resource problem \(exit 71\)$/ },
    { name: 'an unlisted exit code bounces', body: 'exit 1',
      want: { status: 'bounced', dsnStatus: '5.3.0' }, says: /unknown mail system error \(exit 1\)$/ },
    { name: 'a hung program is killed and deferred', body: 'sleep 30',
      want: { status: 'deferred', dsnStatus: '4.3.0' }, says: /timed out, killed$/, timeoutMs: 300 },
  ];
  it.each(table)('$name', async ({ name, body, want, says, timeoutMs }) => {
    const cmd = await script(`${name.replace(/\W+/g, '-')}.sh`, body);
    const got = (await deliverPipe(message, [pipeTo(cmd)], ctx(timeoutMs))).results[0];
    expect(got).toMatchObject(want);
    expect(got.reply).toMatch(says);
  });

  it('a program that does not exist bounces', async () => {
    const got = (await deliverPipe(message, [pipeTo('/nonexistent/procmail -d alice')], ctx())).results[0];
    expect(got).toMatchObject({ status: 'bounced', dsnStatus: '5.3.0' });
    expect(got.reply).toContain('program not found (exit 127)');
  });
});
