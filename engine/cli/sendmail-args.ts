// The /usr/sbin/sendmail command line, parsed the way getopt(3) parses it for
// Sendmail 8 (option string "B:b:C:cd:e:F:f:Gh:IiL:mN:nO:o:p:q:R:r:sTtUV:vX:"):
// bundled letters (-ti), arguments attached or separate (-fme / -f me),
// recipients anywhere (glibc permutes, and mutt/git/cron all rely on that), `--`
// ends options. This module only turns words into a SendmailRequest; it never
// reads stdin or talks to the engine.
import type { DsnNotify } from '../contracts.ts';
import { UsageError } from './exit-codes.ts';

export type SendmailMode =
  | 'deliver'     // -bm (default): read a message on stdin and queue it
  | 'mailq'       // -bp
  | 'flush'       // -q
  | 'verify'      // -bv
  | 'test'        // -bt
  | 'newaliases'  // -bi, -I
  | 'smtp'        // -bs
  | 'daemon';     // -bd / -bD: run the engine (mailstop serve)

export interface SendmailRequest {
  mode: SendmailMode;
  recipients: string[];
  /** -t: take recipients from To/Cc/Bcc. */
  extractRecipients: boolean;
  /** -i / -oi: a lone "." line does not end the message. */
  ignoreDots: boolean;
  /** -f / -r: the envelope sender ('' for <>). */
  sender?: string;
  /** -F: the full name for a From: header we add. */
  fullName?: string;
  verbose: boolean;
  /** -N: RFC 3461 NOTIFY for every recipient. */
  notify?: DsnNotify[];
  /** -R: RFC 3461 RET. */
  ret?: 'FULL' | 'HDRS';
  /** -V: RFC 3461 ENVID. */
  envid?: string;
  /** -B: body type. */
  body?: '7BIT' | '8BITMIME';
  /** -qI / -qR / -qS selectors. */
  queue: { id?: string; recipient?: string; sender?: string };
  /** Options that would change what the caller expects but are ignored here: always said on stderr. */
  warnings: string[];
  /** Harmless options ignored (debug flags, unknown -o letters): said only with -v. */
  notes: string[];
}

export const SENDMAIL_USAGE = `usage: mailstop sendmail [flags] [recipient ...] < message
  -t            recipients from To:, Cc:, Bcc: (Bcc: is removed); added to any given here
  -i, -oi       a line with a single "." does not end the message
  -f addr, -r   envelope sender (-f '<>' for the null sender)
  -F name       full name for the From: header when the message has none
  -N dsn        never | success,failure,delay      -R full|hdrs    -V envid
  -B type       7BIT | 8BITMIME
  -v            verbose (with -q: print the delivery transcript)
  -bp           list the queue (mailq)          -bi, -I   check aliases (newaliases)
  -bv addr...   show how addresses resolve     -bt       address test mode (stdin)
  -bs           SMTP on stdin/stdout            -bd       run the engine (mailstop serve)
  -q            run the queue now; -qI<id>, -qR<recipient>, -qS<sender> select messages
  -oem -odi -odb -om -oL9 -B8BITMIME and other harmless Sendmail options: accepted quietly
  -C, -X, -oA, -oQ   accepted and ignored (a warning says so: they point at files we do not use)
Exit status: 0 ok, 64 usage, 65 bad message, 69 engine unavailable, 75 try again later.`;

/** Letters that take an argument (attached or as the next word). */
const WITH_ARG = new Set('BbCdeFfhLNOopRrVX'.split(''));
/**
 * Sendmail -o letters (and their -O long names) that change nothing a caller can
 * observe here, so they are accepted quietly, as Sendmail takes them: mutt passes
 * -oem on every call, cron -odi, many scripts -odb. e: ErrorMode (errors are always
 * returned by exit status and DSN), d: DeliveryMode (the engine's delivery.mode
 * decides), m: MeToo, L: LogLevel, s: SuperSafe (we always fsync), 7/8: body
 * conversion, T: timeouts, U: obsolete user database flag.
 */
const HARMLESS_O = new Set('edmLs78TU'.split(''));
const HARMLESS_LONG = new Set(['errormode', 'deliverymode', 'metoo', 'loglevel', 'supersafe', 'sevenbitinput',
  'eightbitmode', 'sendmimeerrors', 'timeout', 'checkpointinterval']);
/** Options pointing at Sendmail files we do not read: ignored, but the caller should know. */
const FILE_O: Record<string, string> = { A: 'aliases come from config.json', Q: 'the queue is <home>/spool' };

/** Letters accepted and ignored silently: they change nothing a caller can observe here. */
const SILENT = new Set('cGmnsTU'.split(''));

const MODES: Record<string, SendmailMode> = {
  m: 'deliver', p: 'mailq', v: 'verify', t: 'test', i: 'newaliases', s: 'smtp', d: 'daemon', D: 'daemon',
};

/** "<a@b>" → "a@b"; "<>" → "". */
export function bareAddress(a: string): string {
  const t = a.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1).trim() : t;
}

function parseNotify(v: string): DsnNotify[] {
  const words = v.toUpperCase().split(',').map((s) => s.trim()).filter(Boolean);
  const ok = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'];
  const bad = words.find((w) => !ok.includes(w));
  if (bad || !words.length) throw new UsageError(`-N wants never or success,failure,delay; got "${v}"`, SENDMAIL_USAGE);
  // RFC 3461 §4.1: NEVER must appear alone.
  if (words.includes('NEVER') && words.length > 1) throw new UsageError('-N never cannot be combined', SENDMAIL_USAGE);
  return words as DsnNotify[];
}

export function parseSendmailArgs(argv: string[]): SendmailRequest {
  const req: SendmailRequest = {
    mode: 'deliver', recipients: [], extractRecipients: false, ignoreDots: false,
    verbose: false, queue: {}, warnings: [], notes: [],
  };
  let queueRun = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') { req.recipients.push(...argv.slice(i + 1)); break; }
    if (!word.startsWith('-') || word === '-') { req.recipients.push(word); continue; }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j];
      if (letter === 'q') {
        // -q takes only an attached argument: -q30m, -qI<id>, -qR<s>, -qS<s>.
        queueRun = true;
        applyQueue(req, word.slice(j + 1));
        break;
      }
      if (WITH_ARG.has(letter)) {
        const attached = word.slice(j + 1);
        const value = attached.length ? attached : argv[++i];
        if (value === undefined) throw new UsageError(`option -${letter} needs a value`, SENDMAIL_USAGE);
        applyWithArg(req, letter, value);
        break;
      }
      if (letter === 't') req.extractRecipients = true;
      else if (letter === 'i') req.ignoreDots = true;
      else if (letter === 'v') req.verbose = true;
      else if (letter === 'I') req.mode = 'newaliases';
      else if (!SILENT.has(letter)) throw new UsageError(`unknown option: -${letter}`, SENDMAIL_USAGE);
    }
  }
  // -q alone runs the queue; with -bd it is the daemon's interval (Sendmail -bd -q30m).
  if (queueRun && req.mode === 'deliver') req.mode = 'flush';
  return req;
}

function applyQueue(req: SendmailRequest, rest: string): void {
  if (!rest) return;
  const kind = rest[0];
  const value = rest.slice(1);
  if (kind === 'I' || kind === 'R' || kind === 'S') {
    if (!value) throw new UsageError(`-q${kind} needs a value (e.g. -q${kind}example)`, SENDMAIL_USAGE);
    if (kind === 'I') req.queue.id = value;
    if (kind === 'R') req.queue.recipient = value;
    if (kind === 'S') req.queue.sender = value;
  } else if (/^\d+[smhdw]?$/.test(rest)) {
    req.warnings.push(`-q${rest}: periodic queue runs are set by delivery.queueRun; running the queue once now`);
  } else {
    throw new UsageError(`unsupported queue option: -q${rest}`, SENDMAIL_USAGE);
  }
}

function applyWithArg(req: SendmailRequest, letter: string, value: string): void {
  switch (letter) {
    case 'b': {
      const mode = MODES[value];
      if (!mode || value.length !== 1) throw new UsageError(`unsupported mode: -b${value}`, SENDMAIL_USAGE);
      req.mode = mode;
      return;
    }
    case 'f': case 'r': req.sender = bareAddress(value); return;
    case 'F': req.fullName = value; return;
    case 'N': req.notify = parseNotify(value); return;
    case 'R': {
      const v = value.toUpperCase();
      if (v !== 'FULL' && v !== 'HDRS') throw new UsageError(`-R wants full or hdrs; got "${value}"`, SENDMAIL_USAGE);
      req.ret = v;
      return;
    }
    case 'V': req.envid = value; return;
    case 'B': {
      const v = value.toUpperCase();
      if (v !== '7BIT' && v !== '8BITMIME') throw new UsageError(`-B wants 7BIT or 8BITMIME; got "${value}"`, SENDMAIL_USAGE);
      req.body = v;
      return;
    }
    case 'o': {
      const letter = value[0];
      if (value === 'i') req.ignoreDots = true;
      else if (FILE_O[letter]) req.warnings.push(`ignoring option -o${value}: ${FILE_O[letter]}`);
      else if (!HARMLESS_O.has(letter)) req.notes.push(`ignoring option -o${value}`);
      return;
    }
    case 'O': {
      const [name, v = ''] = value.split('=');
      const key = name.trim().toLowerCase().replace(/\..*$/, '');
      if (key === 'ignoredots') req.ignoreDots = !/^(false|f|no|n|0)$/i.test(v.trim());
      else if (key === 'aliasfile' || key === 'queuedirectory') req.warnings.push(`ignoring option -O ${value}: ${FILE_O[key === 'aliasfile' ? 'A' : 'Q']}`);
      else if (!HARMLESS_LONG.has(key)) req.notes.push(`ignoring option -O ${value}`);
      return;
    }
    case 'C': req.warnings.push(`ignoring -C ${value}: settings come from config.json`); return;
    case 'X': req.warnings.push(`ignoring -X ${value}: the maillog is <home>/log/maillog`); return;
    case 'd': req.notes.push(`ignoring debug flags -d${value}`); return;
    // -h hop count, -L syslog tag, -e error mode, -p protocol: nothing here depends on them.
    default: return;
  }
}
