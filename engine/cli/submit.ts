// Handing one message to Mailstop from the command line: through the running
// engine's control socket (EngineApi.submit), or — when no engine runs — straight
// into the spool through cleanup, durably, like Sendmail's clientmqueue (issue 3
// item 7). The engine picks such entries up when it next starts (Spool.recover).
// Never delivers anything itself.
import fs from 'node:fs/promises';
import os from 'node:os';
import { Readable } from 'node:stream';
import { SettingsSchema, type Settings } from '../config/schema.ts';
import type { ClientInfo, Envelope, QueueId } from '../contracts.ts';
import { createCleanup } from '../cleanup/index.ts';
import { createSpool } from '../queue/spool.ts';
import { ConfigError, loadSettings } from '../config/load.ts';
import { findEngine } from './engine-link.ts';
import { spoolDir } from './paths.ts';

export interface Submitted { id: QueueId; via: 'engine' | 'spool'; warning?: string }

/** The local user, as Sendmail names the submitter of `sendmail` mail. */
export function localUser(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (containers running as an arbitrary uid).
    return env.USER ?? env.LOGNAME ?? 'nobody';
  }
}

/** authWarnings: X-Authentication-Warning texts (untrusted -f); cleanup adds them only with authwarnings. */
export async function submitMessage(home: string, envelope: Envelope, message: Buffer, env: NodeJS.ProcessEnv, authWarnings: string[] = []): Promise<Submitted> {
  const engine = await findEngine(home, { waitIfStarting: true });
  if (engine) {
    try {
      const { id } = await engine.submit({ envelope, messageBase64: message.toString('base64'), ...(authWarnings.length ? { authWarnings } : {}) });
      return { id, via: 'engine' };
    } finally {
      engine.close();
    }
  }
  return submitToSpool(home, envelope, message, env, authWarnings);
}

/** Writes the message into `<home>/spool` in-process. Resolves only once it is committed on disk. */
export async function submitToSpool(home: string, envelope: Envelope, message: Buffer, env: NodeJS.ProcessEnv, authWarnings: string[] = []): Promise<Submitted> {
  let settings: Settings;
  let warning: string | undefined;
  try {
    settings = await loadSettings(home);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The mail must not be lost over a config typo: queue it with defaults and say so.
    settings = SettingsSchema.parse({});
    warning = `${e.message}; queued with default settings`;
  }
  const dir = spoolDir(home);
  await fs.mkdir(dir, { recursive: true });
  const cleanup = createCleanup({ spool: createSpool(dir), settings: () => settings, onQueued: () => {} });
  const client: ClientInfo = { address: '', protocol: 'local', daemon: 'cli', user: localUser(env) };
  const entry = await cleanup.accept(envelope, client, Readable.from([message]), { lineEndings: 'lf', authWarnings });
  return { id: entry.id, via: 'spool', warning };
}
