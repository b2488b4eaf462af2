// The address tester: `sendmail -bv addr...` prints each address's resolution
// trace and Sendmail's verdict line ("addr... deliverable: mailer esmtp, host
// example.com, user addr"); `sendmail -bt` reads addresses from stdin, one per
// line, and answers each the same way. The question goes to EngineApi.testAddress,
// or to the resolver in-process (config.json's settings) when no engine runs.
// Resolving never writes.
import readline from 'node:readline';
import type { Resolution } from '../contracts.ts';
import { ConfigError, loadSettings } from '../config/load.ts';
import { createDns } from '../dns/resolver.ts';
import { createResolver } from '../resolve/index.ts';
import { findEngine } from './engine-link.ts';
import { EX_CONFIG, EX_NOUSER, EX_OK } from './exit-codes.ts';
import { err, out, type CliIo } from './io.ts';

type Tester = { test(address: string): Promise<Resolution>; close(): void };

/** The engine's tester, else the resolver in-process with config.json's settings. */
async function openTester(home: string): Promise<Tester> {
  const api = await findEngine(home);
  if (api) return { test: (a) => api.testAddress(a), close: () => api.close() };
  const settings = await loadSettings(home);
  const resolver = createResolver({ settings, home, dns: createDns(() => settings.dns) });
  return { test: (a) => resolver.resolve(a), close: () => {} };
}

async function testerOrError(home: string, io: CliIo): Promise<Tester | null> {
  try {
    return await openTester(home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(io, e.message);
    return null;
  }
}

export function formatResolution(address: string, r: Resolution): string[] {
  const lines = r.trace.map((s) => `  ${s.stage}: ${s.detail}`);
  for (const d of r.destinations) {
    const host = d.transport === 'smtp' ? `, host ${d.nexthop}${d.port ? `:${d.port}` : ''}` : '';
    lines.push(`${d.original || address}... deliverable: mailer ${d.mailer}${host}, user ${d.address}`);
  }
  for (const f of r.failures) lines.push(`${f.address}... ${f.status} ${f.reason}`);
  if (!r.destinations.length && !r.failures.length) lines.push(`${address}... no destination`);
  return lines;
}

/** sendmail -bv: exit 0 when every address resolves, 67 (EX_NOUSER) otherwise. */
export async function verifyAddresses(home: string, io: CliIo, addresses: string[]): Promise<number> {
  const tester = await testerOrError(home, io);
  if (!tester) return EX_CONFIG;
  let failed = false;
  try {
    for (const a of addresses) {
      const r = await tester.test(a);
      for (const line of formatResolution(a, r)) out(io, line);
      if (r.failures.length || !r.destinations.length) failed = true;
    }
  } finally {
    tester.close();
  }
  return failed ? EX_NOUSER : EX_OK;
}

/**
 * sendmail -bt: one address per line on stdin. Sendmail's rule-set prefix
 * ("3,0 user@host") is accepted and ignored: Mailstop has one resolution order.
 */
export async function testMode(home: string, io: CliIo): Promise<number> {
  const tester = await testerOrError(home, io);
  if (!tester) return EX_CONFIG;
  const interactive = !!io.stdin.isTTY;
  out(io, 'ADDRESS TEST MODE: enter one address per line; an empty line or end of input ends');
  try {
    if (interactive) io.stdout.write('> ');
    for await (const raw of readline.createInterface({ input: io.stdin, crlfDelay: Infinity })) {
      const line = raw.trim().replace(/^[0-9,]+\s+/, '');
      if (line.startsWith('#')) continue;
      if (!line) break;
      try {
        for (const l of formatResolution(line, await tester.test(line))) out(io, l);
      } catch (e) {
        out(io, `${line}... ${(e as Error).message}`);
      }
      if (interactive) io.stdout.write('> ');
    }
  } finally {
    tester.close();
  }
  return EX_OK;
}
