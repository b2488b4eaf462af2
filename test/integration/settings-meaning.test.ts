// Issue 11 §4 through the real `mailstop` command (a subprocess): settings that
// parse but cannot work are refused by `config set` (engine stopped and running)
// and `config check`, and stop `serve`, each with one line naming the field and
// exit 78; nothing is saved. A port in use names its field (exit 69); a
// config.json with a UTF-8 BOM is accepted; `sendmail -bv` does not call an
// address deliverable through an invalid route host.
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startServe, type Served } from '../engine/cli/subprocess.ts';

const BASE = { hostname: 'mta.test', listen: { address: '127.0.0.1', smtp: 0, submission: 0, smtps: false }, console: { port: false } };

let home: string;
const configFile = () => path.join(home, 'config.json');
const writeConfig = (c: unknown, prefix = '') => fs.writeFile(configFile(), prefix + JSON.stringify(c, null, 2));

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'mailstop-meaning-'));
  await writeConfig(BASE);
});
afterEach(async () => { await fs.rm(home, { recursive: true, force: true }); });

/** got: what `config set` is given; want: stderr lines (in order), each naming its field. */
const cases: { path: string; value: string; want: RegExp[] }[] = [
  { path: 'tls.cert', value: '/nonexistent/cert.pem', want: [/^mailstop: tls\.key: tls\.cert is set but no key$/, /^mailstop: tls\.cert: cannot read \/nonexistent\/cert\.pem \(no such file\)$/] },
  { path: 'tls.ciphers', value: 'NOT-A-CIPHER:BOGUS', want: [/^mailstop: tls\.ciphers: refused by OpenSSL \(.*no cipher match.*\)/] },
  { path: 'routes', value: '[{"domain":"corp.example","mailer":"esmtp","host":"not a host!!"}]', want: [/^mailstop: routes\[0\]\.host: "not a host!!" is not a host name/] },
  { path: 'domains.local', value: '["foo..bar"]', want: [/^mailstop: domains\.local\[0\]: "foo\.\.bar" has an empty label/] },
  { path: 'domains.local', value: '["-x-.com"]', want: [/^mailstop: domains\.local\[0\]: "-x-\.com": a label may not start or end with "-"$/] },
  { path: 'domains.relay', value: '["-x-.com"]', want: [/^mailstop: domains\.relay\[0\]: "-x-\.com" is not an IP address, a network \(CIDR\) or a domain$/] },
  { path: 'smartHost', value: '{"host":"not a host!!"}', want: [/^mailstop: smartHost\.host: "not a host!!" is not a host name/] },
  { path: 'delivery.minBackoff', value: '99999999999999999999d', want: [/^mailstop: delivery\.minBackoff: at most 7d$/] },
  { path: 'delivery.queueReturn', value: '99999999999999999999d', want: [/^mailstop: delivery\.queueReturn: at most 365d$/] },
  { path: 'smtp.maxDaemonChildren', value: '1e15', want: [/^mailstop: smtp\.maxDaemonChildren: at most 10000$/] },
  { path: 'listen.address', value: '999.1.1.1', want: [/^mailstop: listen\.address: "999\.1\.1\.1" is not an IP address/] },
  { path: 'console', value: '{"address":"0.0.0.0","port":8025}', want: [/^mailstop: console\.address: 0\.0\.0\.0 is not loopback: .*tls\.cert and tls\.key.*console\.allowPlainHttp/] },
  { path: 'smtp.greeting', value: '$j ESMTP \u00a7 ok', want: [/^mailstop: smtp\.greeting: printable ASCII only/] },
];

describe('config set refuses what cannot work (engine stopped)', () => {
  for (const c of cases) {
    it(`${c.path} = ${c.value}`, async () => {
      const before = await fs.readFile(configFile(), 'utf8');
      const got = await runCli(home, ['config', 'set', c.path, c.value]);
      expect(got.code).toBe(78);
      expect(got.stdout).toBe('');
      const lines = got.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(c.want.length);
      c.want.forEach((re, i) => expect(lines[i]).toMatch(re));
      expect(await fs.readFile(configFile(), 'utf8')).toBe(before);
    }, 30_000);
  }
});

describe('config check and start-up judge a hand-edited file the same way', () => {
  it('config check lists every problem, one line each, exit 78', async () => {
    await writeConfig({
      ...BASE, tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem', ciphers: 'NOT-A-CIPHER:BOGUS' },
      domains: { local: ['foo..bar'] }, smtp: { maxDaemonChildren: 1e15 },
    });
    const got = await runCli(home, ['config', 'check']);
    expect(got.code).toBe(78);
    const lines = got.stderr.split('\n').filter(Boolean).sort();
    const want = [
      /^mailstop: config\.json: domains\.local\[0\]: "foo\.\.bar" has an empty label \(two dots in a row, or a leading dot\)$/,
      /^mailstop: config\.json: smtp\.maxDaemonChildren: at most 10000$/,
      /^mailstop: config\.json: tls\.cert: cannot read \/nonexistent\/cert\.pem \(no such file\)$/,
      /^mailstop: config\.json: tls\.ciphers: refused by OpenSSL/,
      /^mailstop: config\.json: tls\.key: cannot read \/nonexistent\/key\.pem \(no such file\)$/,
    ];
    expect(lines).toHaveLength(want.length);
    want.forEach((re, i) => expect(lines[i]).toMatch(re));
  }, 30_000);

  it('serve refuses a bad listen.address with the field named, exit 78', async () => {
    await writeConfig({ ...BASE, listen: { ...BASE.listen, address: '999.1.1.1' } });
    const got = await runCli(home, ['serve']);
    expect(got.code).toBe(78);
    expect(got.stderr).toMatch(/^mailstop: .*config\.json: listen\.address: "999\.1\.1\.1" is not an IP address/);
    expect(got.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }, 30_000);

  it('serve names every problem of config.json, one line each', async () => {
    await writeConfig({ ...BASE, listen: { ...BASE.listen, address: '999.1.1.1' }, tls: { ciphers: 'NOT-A-CIPHER:BOGUS' } });
    const got = await runCli(home, ['serve']);
    expect(got.code).toBe(78);
    const lines = got.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/config\.json: listen\.address: "999\.1\.1\.1" is not an IP address/);
    expect(lines[1]).toMatch(/config\.json: tls\.ciphers: refused by OpenSSL/);
  }, 30_000);

  it('a config.json with a UTF-8 BOM is read like any other', async () => {
    await writeConfig({ ...BASE, delivery: { mode: 'deferred' } }, '\ufeff');
    const check = await runCli(home, ['config', 'check']);
    expect(check).toMatchObject({ code: 0, stdout: 'config.json: ok\n' });
    expect(await runCli(home, ['config', 'get', 'delivery.mode'])).toMatchObject({ code: 0, stdout: 'deferred\n' });
    expect(await runCli(home, ['config', 'set', 'delivery.mode', 'queueonly'])).toMatchObject({ code: 0 });
    expect(JSON.parse(await fs.readFile(configFile(), 'utf8')).delivery.mode).toBe('queueonly');
  }, 30_000);

  it('sendmail -bv does not call an address deliverable through an invalid route host', async () => {
    await writeConfig({ ...BASE, routes: [{ domain: 'corp.example', mailer: 'esmtp', host: 'not a host!!' }] });
    const got = await runCli(home, ['sendmail', '-bv', 'pat@corp.example']);
    expect(got.code).toBe(78);
    expect(got.stdout).not.toMatch(/deliverable/);
    expect(got.stderr).toMatch(/routes\[0\]\.host: "not a host!!" is not a host name/);
  }, 30_000);
});

describe('a port in use names its field', () => {
  let blocker: net.Server;
  let taken: number;
  beforeAll(async () => {
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    taken = (blocker.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it('serve exits 69 with listen.smtp: address:port is in use', async () => {
    await writeConfig({ ...BASE, listen: { ...BASE.listen, smtp: taken } });
    const got = await runCli(home, ['serve']);
    expect(got.code).toBe(69);
    expect(got.stderr).toBe(`mailstop: listen.smtp: 127.0.0.1:${taken} is in use\n`);
  }, 30_000);
});

describe('config set with the engine running', () => {
  let served: Served;
  beforeEach(async () => { served = await startServe(home); }, 30_000);
  afterEach(async () => { await served.stop(); });

  it('refuses a bad cipher list and a bad route host; the engine and config.json keep the old values', async () => {
    const before = await fs.readFile(configFile(), 'utf8');
    const ciphers = await runCli(home, ['config', 'set', 'tls.ciphers', 'NOT-A-CIPHER:BOGUS']);
    expect(ciphers.code).toBe(78);
    expect(ciphers.stderr).toMatch(/^mailstop: tls\.ciphers: refused by OpenSSL/);
    const route = await runCli(home, ['config', 'set', 'routes', '[{"domain":"corp.example","mailer":"relay","host":"not a host!!"}]']);
    expect(route.code).toBe(78);
    expect(route.stderr).toMatch(/^mailstop: routes\[0\]\.host: /);
    expect(await fs.readFile(configFile(), 'utf8')).toBe(before);
    expect((await runCli(home, ['config', 'get', 'tls.ciphers'])).stdout).toBe('\n');
    expect((await runCli(home, ['config', 'get', 'routes'])).stdout).toBe('[]\n');
  }, 60_000);
});
