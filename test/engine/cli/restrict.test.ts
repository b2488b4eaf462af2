// smtp.privacy restrictmailq / restrictqrun and authwarnings' "-f" case for the
// command line. The decision is asked for another user directly; the exit code,
// the one-line refusal and the stored header come from real subprocesses run as
// `nobody` (only possible when the tests run as root).
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queueRefusal } from '../../../engine/cli/restrict.ts';
import { senderWarnings } from '../../../engine/cli/sendmail.ts';
import { parseSendmailArgs } from '../../../engine/cli/sendmail-args.ts';
import { startHost } from '../../../engine/host/index.ts';
import { createSpool } from '../../../engine/queue/spool.ts';
import { BIN, REPO } from './subprocess.ts';

/** nobody's uid/gid on Debian-like systems; what a "stranger" is in these tests. */
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let home: string;
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-restrict-'));
  await fs.chmod(home, 0o777);
});
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

const configure = (privacy: string[]) =>
  fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ hostname: 'mx.example.org', smtp: { privacy } }), { mode: 0o644 });

describe('queueRefusal', () => {
  const cases: { name: string; privacy: string[]; flag: 'restrictmailq' | 'restrictqrun'; who: 'owner' | 'stranger' | 'group' | 'root'; refused: boolean }[] = [
    { name: 'not set', privacy: [], flag: 'restrictqrun', who: 'stranger', refused: false },
    { name: 'qrun, stranger', privacy: ['restrictqrun'], flag: 'restrictqrun', who: 'stranger', refused: true },
    { name: 'qrun, owner', privacy: ['restrictqrun'], flag: 'restrictqrun', who: 'owner', refused: false },
    { name: 'qrun, root', privacy: ['restrictqrun'], flag: 'restrictqrun', who: 'root', refused: false },
    { name: 'qrun, group member', privacy: ['restrictqrun'], flag: 'restrictqrun', who: 'group', refused: true },
    { name: 'mailq, stranger', privacy: ['restrictmailq'], flag: 'restrictmailq', who: 'stranger', refused: true },
    { name: 'mailq, group member', privacy: ['restrictmailq'], flag: 'restrictmailq', who: 'group', refused: false },
    { name: 'mailq flag does not restrict qrun', privacy: ['restrictmailq'], flag: 'restrictqrun', who: 'stranger', refused: false },
    { name: 'goaway is not restrictqrun (Sendmail)', privacy: ['goaway'], flag: 'restrictqrun', who: 'stranger', refused: false },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      await configure(tc.privacy);
      const st = await fs.stat(home);
      const stranger = st.uid === NOBODY ? NOBODY - 1 : NOBODY;
      const who = {
        owner: { uid: st.uid, gids: [st.gid] },
        stranger: { uid: stranger, gids: [stranger] },
        group: { uid: stranger, gids: [stranger, st.gid] },
        root: { uid: 0, gids: [0] },
      }[tc.who];
      const got = await queueRefusal(home, tc.flag, who);
      expect(got !== null).toBe(tc.refused);
      if (tc.refused) expect(got).toContain(tc.flag);
    });
  }
});

describe('senderWarnings (-f by an untrusted user)', () => {
  const cases: { argv: string[]; user: string; want: string[] }[] = [
    { argv: ['-f', 'boss@example.com', 'x@y'], user: 'alice', want: ['alice set sender to boss@example.com using -f'] },
    { argv: ['-f', '<>', 'x@y'], user: 'alice', want: ['alice set sender to <> using -f'] },
    { argv: ['-f', 'alice', 'x@y'], user: 'alice', want: [] },
    { argv: ['-f', 'alice@mx.example.org', 'x@y'], user: 'alice', want: [] },
    { argv: ['-f', 'boss@example.com', 'x@y'], user: 'root', want: [] },
    { argv: ['x@y'], user: 'alice', want: [] },
  ];
  for (const tc of cases) {
    it(`${tc.user}: ${tc.argv.join(' ')}`, () => {
      expect(senderWarnings(parseSendmailArgs(tc.argv), tc.user, 'mx.example.org')).toEqual(tc.want);
    });
  }
});

/** Runs the CLI as nobody; no engine runs, so sendmail drops into the maildrop (when there is one). */
function runAsNobody(args: string[], stdin = ''): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO, uid: NOBODY, gid: NOBODY, env: { ...process.env, MAILSTOP_HOME: home, HOME: home }, stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(stdin);
  });
}

describe.runIf(isRoot)('as another user (subprocess)', () => {
  const cases: { argv: string[]; privacy: string[]; want: number; line?: RegExp }[] = [
    { argv: ['mailq'], privacy: ['restrictmailq'], want: 77, line: /^mailstop: permission denied: .*restrictmailq/ },
    { argv: ['sendmail', '-bp'], privacy: ['restrictmailq'], want: 77, line: /restrictmailq/ },
    { argv: ['flush'], privacy: ['restrictqrun'], want: 77, line: /restrictqrun/ },
    { argv: ['sendmail', '-q'], privacy: ['restrictqrun'], want: 77, line: /restrictqrun/ },
    { argv: ['mailq'], privacy: [], want: 0 },
  ];
  for (const tc of cases) {
    it(`${tc.argv.join(' ')} with [${tc.privacy.join(', ')}] → ${tc.want}`, async () => {
      await configure(tc.privacy);
      const got = await runAsNobody(tc.argv);
      expect(got.code).toBe(tc.want);
      if (tc.line) {
        expect(got.stderr.trim().split('\n')).toHaveLength(1);
        expect(got.stderr).toMatch(tc.line);
      }
    });
  }

  it('sendmail -f by nobody: X-Authentication-Warning only with authwarnings (added at pickup)', async () => {
    const got: boolean[] = [];
    // As `mailstop install` lays it out: anyone may drop, nobody may list.
    await fs.mkdir(path.join(home, 'maildrop'), { mode: 0o1733 });
    await fs.chmod(path.join(home, 'maildrop'), 0o1733);
    for (const privacy of [['authwarnings'], []]) {
      await configure(privacy);
      const r = await runAsNobody(['sendmail', '-f', 'boss@example.com', 'bob@elsewhere.example'], 'Subject: s\n\nbody\n');
      expect(r.code).toBe(0);
      // Not nobody's spool to write: the host's pickup takes it, and the identity, from the maildrop.
      expect(await fs.readdir(path.join(home, 'spool')).catch(() => [])).toEqual([]);
      const host = await startHost({
        home, timers: false, passwdFile: '',
        settings: { hostname: 'mx.example.org', listen: { smtp: 0, submission: false, smtps: false }, console: { port: false },
          delivery: { mode: 'queueonly' }, smtp: { privacy: privacy as never } },
      });
      await host.close();
      const spool = createSpool(path.join(home, 'spool'));
      const entries = await spool.list();
      // Mail for another host waits in queueonly (local mail would be delivered at once).
      const held = entries.find((e) => e.sender === 'boss@example.com');
      expect(held).toBeDefined();
      const headers = await spool.readHeaders(held!.id);
      got.push(headers.includes('X-Authentication-Warning: mx.example.org: nobody set sender to boss@example.com using -f\r\n'));
      for (const e of entries) await spool.remove(e.id);
    }
    expect(got).toEqual([true, false]);
  });
});
