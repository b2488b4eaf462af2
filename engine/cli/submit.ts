// Handing one message to Mailstop from the command line: through the running
// engine's control socket (EngineApi.submit) when we are its owner (or root);
// when no engine runs, the owner writes straight into the spool through cleanup,
// durably, like Sendmail's clientmqueue (issue 3 item 7), and the engine picks
// it up when it starts. Everyone else drops the message into the maildrop
// (engine/host/maildrop.ts), where the engine's pickup takes the file's owner
// as the sender's identity — now, or when it next starts. Never delivers anything.
import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { Readable } from 'node:stream';
import type { Settings } from '../config/schema.ts';
import type { ClientInfo, Envelope, QueueId } from '../contracts.ts';
import { loadCheckedSettings } from '../config/checked-copy.ts';
import { writeDrop } from '../host/maildrop.ts';
import { findEngine, NotOwnerError, type EngineLink } from './engine-link.ts';
import { spoolDir } from './paths.ts';

/** `id` is the queue ID, or for 'maildrop' the drop file's name (the pickup assigns the queue ID). */
export interface Submitted { id: QueueId; via: 'engine' | 'spool' | 'maildrop'; warning?: string }

/** Whether this process may write the home's spool itself: its owner, or nobody's yet. */
async function ownsHome(home: string): Promise<boolean> {
  const uid = process.getuid?.();
  if (uid === undefined) return true; // Windows: no owners to tell apart
  try {
    return (await fs.stat(home)).uid === uid;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // a first use creates it
    throw e;
  }
}

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
  let engine: EngineLink | null = null;
  try {
    engine = await findEngine(home, { waitIfStarting: true });
  } catch (e) {
    if (!(e instanceof NotOwnerError)) throw e; // not ours: the maildrop, below
  }
  if (engine && !engine.publicOnly) {
    try {
      const { id } = await engine.submit({
        envelope, messageBase64: message.toString('base64'), user: localUser(env), ...(authWarnings.length ? { authWarnings } : {}),
      });
      return { id, via: 'engine' };
    } finally {
      engine.close();
    }
  }
  engine?.close();
  if (!engine && (await ownsHome(home))) return submitToSpool(home, envelope, message, env, authWarnings);
  // The identity is the drop file's owner; the pickup works out authwarnings itself.
  try {
    return { id: await writeDrop(home, envelope, message), via: 'maildrop' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EACCES') throw e;
    // Someone else's personal data directory: it takes no mail from other users.
    throw new Error(`${home} belongs to another user and takes no mail from others ` +
      '(a shared mail system is set up with mailstop install)');
  }
}

/** Writes the message into `<home>/spool` in-process. Resolves only once it is committed on disk. */
export async function submitToSpool(home: string, envelope: Envelope, message: Buffer, env: NodeJS.ProcessEnv, authWarnings: string[] = []): Promise<Submitted> {
  let settings: Settings;
  let warning: string | undefined;
  try {
    settings = await loadCheckedSettings(home);
  } catch (e) {
    // Loaded by now: loadCheckedSettings validated, and that is what threw.
    const { ConfigError } = await import('../config/load.ts');
    if (!(e instanceof ConfigError)) throw e;
    // The mail must not be lost over a config typo: queue it with defaults and say so.
    settings = (await import('../config/schema.ts')).SettingsSchema.parse({});
    warning = `${e.message}; queued with default settings`;
  }
  // Loaded here, not at the top: with the engine running (the usual case) none of it is needed.
  const [{ createCleanup }, { createSpool }, { createMailLog }] =
    await Promise.all([import('../cleanup/index.ts'), import('../queue/spool.ts'), import('../log/maillog.ts')]);
  const dir = spoolDir(home);
  await fs.mkdir(dir, { recursive: true });
  const cleanup = createCleanup({ spool: createSpool(dir), settings: () => settings, onQueued: () => {} });
  const client: ClientInfo = { address: '', protocol: 'local', daemon: 'cli', user: localUser(env) };
  const entry = await cleanup.accept(envelope, client, Readable.from([message]), { lineEndings: 'lf', authWarnings });
  // As Sendmail's submitting process does, log the from= line now: the engine that
  // later picks the entry up only schedules it.
  const log = createMailLog({ file: path.join(home, 'log', 'maillog'), hostname: settings.hostname });
  await fs.mkdir(path.join(home, 'log'), { recursive: true }).then(() => log.fromLine(entry), () => undefined);
  await log.close();
  return { id: entry.id, via: 'spool', warning };
}
