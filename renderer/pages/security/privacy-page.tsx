// Privacy & limits: Sendmail's confPRIVACY_FLAGS, confSMTP_LOGIN_MSG and the
// confMAX_* family, as switches and numbers.
import { Card, Checkbox, Group, NumberInput, SimpleGrid, Switch, Text, TextInput } from '@mantine/core';
import type { Settings } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { SecurityPage } from './shared.tsx';

type Smtp = Settings['smtp'];
type Flag = Smtp['privacy'][number];

const FLAGS: { flag: Flag; label: string; detail: string }[] = [
  { flag: 'goaway', label: 'goaway', detail: 'novrfy, noexpn, needmailhelo, noetrn and authwarnings together (not the two CLI restrictions)' },
  { flag: 'novrfy', label: 'novrfy', detail: 'VRFY never says whether a user exists' },
  { flag: 'noexpn', label: 'noexpn', detail: 'EXPN does not expand lists' },
  { flag: 'needmailhelo', label: 'needmailhelo', detail: 'MAIL before HELO/EHLO gets 503 (without it, such a client is accepted)' },
  { flag: 'noetrn', label: 'noetrn', detail: 'ETRN refused with 502 (without it, relay clients may start a queue run for a domain)' },
  { flag: 'authwarnings', label: 'authwarnings', detail: 'X-Authentication-Warning header when a user sets another sender with sendmail -f, or a client skips HELO' },
  { flag: 'restrictqrun', label: 'restrictqrun', detail: 'Only root and the data directory\'s owner may run the queue from the CLI (exit 77)' },
  { flag: 'restrictmailq', label: 'restrictmailq', detail: 'Only root, the owner and its group may list the queue from the CLI (exit 77)' },
];

/** A size shown in a unit people think in (15 MB, not 15728640); the settings keep the engine's unit. */
interface Unit { name: string; factor: number }
const MB: Unit = { name: 'MB', factor: 1024 * 1024 };
const KB: Unit = { name: 'KB', factor: 1024 };
/** minFreeBlocks counts 1 KiB blocks: MB = blocks / 1024. */
const MB_OF_BLOCKS: Unit = { name: 'MB', factor: 1024 };

const LIMITS: { key: keyof Smtp; label: string; sendmail: string; min: number; unit?: Unit; raw?: string }[] = [
  { key: 'maxMessageSize', label: 'Largest message', sendmail: 'confMAX_MESSAGE_SIZE', min: 1024, unit: MB, raw: 'bytes' },
  { key: 'maxRcptsPerMessage', label: 'Max recipients per message', sendmail: 'confMAX_RCPTS_PER_MESSAGE', min: 1 },
  { key: 'badRcptThrottle', label: 'Slow down after N bad recipients (0 = off)', sendmail: 'confBAD_RCPT_THROTTLE', min: 0 },
  { key: 'maxDaemonChildren', label: 'Max concurrent connections (SMTP port)', sendmail: 'confMAX_DAEMON_CHILDREN', min: 1 },
  { key: 'maxSubmissionChildren', label: 'Max concurrent connections (submission + SMTPS)', sendmail: 'own pool, apart from port 25 (Postfix master.cf maxproc)', min: 1 },
  { key: 'clientConnLimit', label: 'Max concurrent connections per client (0 = off)', sendmail: 'FEATURE(conncontrol) ClientConn: (Postfix smtpd_client_connection_count_limit)', min: 0 },
  { key: 'clientConnRate', label: 'Max new connections per client per minute (0 = off)', sendmail: 'FEATURE(ratecontrol) ClientRate: (Postfix smtpd_client_connection_rate_limit)', min: 0 },
  { key: 'maxHeadersLength', label: 'Longest header block', sendmail: 'confMAX_HEADERS_LENGTH', min: 1024, unit: KB, raw: 'bytes' },
  { key: 'minFreeBlocks', label: 'Refuse mail when the disk has less free than', sendmail: 'confMIN_FREE_BLOCKS', min: 0, unit: MB_OF_BLOCKS, raw: '1 KiB blocks' },
  { key: 'maxErrors', label: 'Errors before disconnect', sendmail: 'confBAD_COMMANDS', min: 1 },
];

export function PrivacyPage() {
  const form = useSettingsForm<Smtp>('security.smtp', (s) => s.smtp, (smtp) => ({ smtp }));
  const f = form.value;
  if (!f) return <Text c="dimmed">Loading settings…</Text>;
  const toggle = (flag: Flag, on: boolean) => form.set((p) => ({ ...p, privacy: on ? [...p.privacy, flag] : p.privacy.filter((x) => x !== flag) }));
  return (
    <SecurityPage title="Privacy & limits" sendmail={<>Sendmail's <code>confPRIVACY_FLAGS</code>, <code>confSMTP_LOGIN_MSG</code> and <code>confMAX_*</code>. No ident lookups are ever made.</>}>
      <Card withBorder>
        <Text fw={600} mb="xs">Privacy flags</Text>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xs">
          {FLAGS.map((x) => (
            <Checkbox key={x.flag} label={<><code>{x.label}</code> — {x.detail}</>} checked={f.privacy.includes(x.flag)}
              onChange={(e) => toggle(x.flag, e.currentTarget.checked)} />
          ))}
        </SimpleGrid>
        <Group mt="md" align="flex-end" grow>
          <TextInput label="Greeting" description="$j is the host name; leave the software name out" value={f.greeting}
            error={form.error('smtp.greeting')} onChange={(e) => { const v = e.currentTarget.value; form.set((p) => ({ ...p, greeting: v })); }} />
          <Switch label="Answer HELP" checked={f.help} onChange={(e) => { const v = e.currentTarget.checked; form.set((p) => ({ ...p, help: v })); }} />
        </Group>
      </Card>
      <Card withBorder>
        <Text fw={600} mb="xs">Limits</Text>
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
          {LIMITS.map((l) => {
            const raw = f[l.key] as number;
            if (!l.unit) {
              return <NumberInput key={l.key} label={l.label} description={l.sendmail} min={l.min} value={raw}
                error={form.error(`smtp.${l.key}`)} onChange={(v) => form.set((p) => ({ ...p, [l.key]: typeof v === 'number' ? v : Number.NaN }))} />;
            }
            const unit = l.unit;
            return (
              <NumberInput key={l.key} label={`${l.label} (${unit.name})`} min={l.min / unit.factor} decimalScale={2} rightSection={unit.name} rightSectionWidth={40}
                description={Number.isFinite(raw) ? `${l.sendmail} = ${raw.toLocaleString('en')} ${l.raw}` : l.sendmail}
                value={Number.isFinite(raw) ? Math.round((raw / unit.factor) * 100) / 100 : ''}
                error={form.error(`smtp.${l.key}`)}
                onChange={(v) => form.set((p) => ({ ...p, [l.key]: typeof v === 'number' ? Math.round(v * unit.factor) : Number.NaN }))} />
            );
          })}
        </SimpleGrid>
        <SaveBar form={form} />
      </Card>
    </SecurityPage>
  );
}
