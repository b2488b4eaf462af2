// The sendmail command line as mutt, git send-email and cron write it.
import { describe, expect, it } from 'vitest';
import { parseSendmailArgs } from '../../../engine/cli/sendmail-args.ts';
import { UsageError } from '../../../engine/cli/exit-codes.ts';

describe('parseSendmailArgs', () => {
  const cases: { name: string; argv: string[]; want: Record<string, unknown> }[] = [
    { name: 'plain recipients', argv: ['a@x.test', 'b@y.test'], want: { mode: 'deliver', recipients: ['a@x.test', 'b@y.test'] } },
    { name: 'mutt: -oem -oi -- rcpt', argv: ['-oem', '-oi', '--', 'a@x.test'],
      want: { ignoreDots: true, recipients: ['a@x.test'], warnings: [], notes: [] } },
    { name: 'bundled -ti', argv: ['-ti'], want: { extractRecipients: true, ignoreDots: true, recipients: [] } },
    { name: '-f attached and <> null sender', argv: ['-f<>', 'a@x.test'], want: { sender: '' } },
    { name: '-f separate', argv: ['-f', 'me@x.test', 'a@x.test'], want: { sender: 'me@x.test' } },
    { name: '-r is -f', argv: ['-r', '<me@x.test>', 'a@x.test'], want: { sender: 'me@x.test' } },
    { name: 'cron: -FCronDaemon -i -B8BITMIME -oem -odi user', argv: ['-FCronDaemon', '-i', '-B8BITMIME', '-oem', '-odi', 'root'],
      want: { fullName: 'CronDaemon', body: '8BITMIME', recipients: ['root'], warnings: [], notes: [] } },
    { name: 'harmless -odb -om -oL9 -OErrorMode=m -ODeliveryMode=b are quiet', argv: ['-odb', '-om', '-oL9', '-OErrorMode=m', '-ODeliveryMode=b', 'a@x.test'],
      want: { warnings: [], notes: [], recipients: ['a@x.test'] } },
    { name: '-OIgnoreDots=true is -oi', argv: ['-OIgnoreDots=true', 'a@x.test'], want: { ignoreDots: true } },
    { name: '-oA and -C point at files we do not read: warned', argv: ['-oA/etc/aliases', '-C', '/etc/mail/sendmail.cf', 'a@x.test'],
      want: { warnings: ['ignoring option -oA/etc/aliases: aliases come from config.json', 'ignoring -C /etc/mail/sendmail.cf: settings come from config.json'] } },
    { name: 'debug flags and unknown -o letters only noted for -v', argv: ['-d0.1', '-oZ', 'a@x.test'],
      want: { warnings: [], notes: ['ignoring debug flags -d0.1', 'ignoring option -oZ'] } },
    { name: 'recipients before flags (permuted)', argv: ['a@x.test', '-f', 'me@x.test'], want: { recipients: ['a@x.test'], sender: 'me@x.test' } },
    { name: 'DSN flags', argv: ['-N', 'success,failure', '-R', 'hdrs', '-V', 'env42', 'a@x.test'],
      want: { notify: ['SUCCESS', 'FAILURE'], ret: 'HDRS', envid: 'env42' } },
    { name: '-bp', argv: ['-bp'], want: { mode: 'mailq' } },
    { name: '-bi and -I', argv: ['-I'], want: { mode: 'newaliases' } },
    { name: '-bv addresses', argv: ['-bv', 'a@x.test'], want: { mode: 'verify', recipients: ['a@x.test'] } },
    { name: '-bt', argv: ['-bt'], want: { mode: 'test' } },
    { name: '-bs', argv: ['-bs'], want: { mode: 'smtp' } },
    { name: '-q', argv: ['-q'], want: { mode: 'flush', queue: {} } },
    { name: '-v -q', argv: ['-v', '-q'], want: { mode: 'flush', verbose: true } },
    { name: '-qI', argv: ['-qIABC'], want: { mode: 'flush', queue: { id: 'ABC' } } },
    { name: '-qR', argv: ['-qRexample.com'], want: { mode: 'flush', queue: { recipient: 'example.com' } } },
    { name: '-qS', argv: ['-qSalice'], want: { mode: 'flush', queue: { sender: 'alice' } } },
    { name: '-q30m warns and flushes once', argv: ['-q30m'], want: { mode: 'flush' } },
    { name: '-bd -q30m is the daemon', argv: ['-bd', '-q30m'], want: { mode: 'daemon' } },
    { name: '-U and -m are silent', argv: ['-U', '-m', 'a@x.test'], want: { warnings: [], recipients: ['a@x.test'] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseSendmailArgs(c.argv);
      expect(got).toMatchObject(c.want);
    });
  }

  const bad: { argv: string[]; want: RegExp }[] = [
    { argv: ['-Z'], want: /unknown option: -Z/ },
    { argv: ['-f'], want: /-f needs a value/ },
    { argv: ['-bz'], want: /unsupported mode: -bz/ },
    { argv: ['-N', 'sometimes'], want: /-N wants/ },
    { argv: ['-N', 'never,success'], want: /never cannot be combined/ },
    { argv: ['-R', 'body'], want: /-R wants full or hdrs/ },
    { argv: ['-qI'], want: /-qI needs a value/ },
    { argv: ['-qX1'], want: /unsupported queue option/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.argv.join(' ')}`, () => {
      expect(() => parseSendmailArgs(c.argv)).toThrow(UsageError);
      expect(() => parseSendmailArgs(c.argv)).toThrow(c.want);
    });
  }
});
