// Domains: which domains are delivered here (Sendmail's local-host-names), the
// catch-all for unknown users (LUSER_RELAY) with the seeds' warning beside it, and
// the local delivery agent (MAILER(local) / MAILER(procmail)): Maildir, mbox or a
// program, plus the switches for per-user forwarding.
import { Alert, Card, Radio, Stack, Switch, Text, TextInput } from '@mantine/core';
import type { Settings } from '../../../engine/api.ts';
import { useLiveState } from '../../state/context.tsx';
import { exampleDomain, ListEditor, RoutingPage } from './page-shell.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

interface DomainsForm { local: string[]; localDelivery: Settings['localDelivery'] }

/** What the catch-all switch fills in when turned on: the seeds' spamtrap mailbox. */
const DEFAULT_CATCH_ALL = 'local:spamtrap';

const AGENTS = [
  { value: 'maildir', label: 'Maildir', help: 'One file per message (tmp/ → new/); read by mutt, Dovecot and most mail clients. The default.' },
  { value: 'mbox', label: 'mbox', help: 'One file per user with "From " lines and >From escaping, locked while written.' },
  { value: 'pipe', label: 'Program', help: 'Each message on the standard input of a program such as procmail. Exit 75 retries later, other failures bounce.' },
];

function describe(f: DomainsForm): string[] {
  const ld = f.localDelivery;
  return [
    ...f.local.map((d) => `local domain: ${d}`),
    `catch-all (LUSER_RELAY): ${ld.luserRelay.trim() || 'off'}`,
    `delivery agent: ${ld.agent}${ld.agent === 'pipe' ? ` (${ld.command})` : ''}`,
    `mailboxes in: ${ld.mailboxDir}`,
    `forwarding: ${ld.forwardEnabled ? 'on' : 'off'}`,
    `read ~/.forward files: ${ld.readHomeForward ? 'yes' : 'no'}`,
  ];
}

export function DomainsPage() {
  const { settings } = useLiveState();
  const rf = useRoutingForm<DomainsForm>('routing.domains',
    (s) => ({ local: s.domains.local, localDelivery: s.localDelivery }),
    (f) => ({ domains: { local: f.local.map((d) => d.trim()).filter(Boolean) }, localDelivery: f.localDelivery }),
    describe);
  const f = rf.form.value;
  if (!f) return <Text c="dimmed">Loading settings…</Text>;
  const ld = f.localDelivery;
  const setLd = (patch: Partial<Settings['localDelivery']>): void => rf.form.set((p) => ({ ...p, localDelivery: { ...p.localDelivery, ...patch } }));
  const catchAll = ld.luserRelay.trim() !== '';

  return (
    <RoutingPage title="Domains" suggest={`postmaster@${exampleDomain(settings)}`}
      sendmail={<>Sendmail's <code>local-host-names</code>, <code>LUSER_RELAY</code> and local mailer.</>}>
      <Card withBorder>
        <Text fw={600}>Local domains</Text>
        <Text size="sm" c="dimmed" mb="xs">
          Mail for these domains is delivered here. The host name ({settings?.hostname}) and localhost always are.
        </Text>
        <ListEditor itemLabel="Local domain" values={f.local} placeholder="example.com" addLabel="Add domain"
          onChange={(local) => rf.form.set((p) => ({ ...p, local }))} errorFor={(i) => rf.errorFor(`domains.local[${i}]`)} />
      </Card>

      <Card withBorder>
        <Switch label="Catch-all for unknown local users" description="Mail for a user that does not exist goes here instead of bouncing (LUSER_RELAY)"
          checked={catchAll} onChange={(e) => setLd({ luserRelay: e.currentTarget.checked ? DEFAULT_CATCH_ALL : '' })} data-testid="catch-all" />
        <Alert mt="sm" color={catchAll ? 'orange' : 'gray'} variant="light" title="Think twice" data-testid="catch-all-warning">
          A catch-all turns every address at your domains into a spam target: dictionary attacks all land
          in its mailbox. And it hides typos — mail to <code>jhon@</code> is never bounced, so the sender never learns it went astray.
        </Alert>
        {catchAll && (
          <TextInput mt="sm" label="Send unknown users' mail to" description="local:user (a mailbox here), an address, or esmtp:host"
            value={ld.luserRelay} onChange={(e) => setLd({ luserRelay: e.currentTarget.value })} error={rf.errorFor('localDelivery.luserRelay')} />
        )}
      </Card>

      <Card withBorder>
        <Radio.Group label="Local delivery agent" value={ld.agent} onChange={(v) => setLd({ agent: v as Settings['localDelivery']['agent'] })}
          error={rf.errorFor('localDelivery.agent')}>
          <Stack gap="xs" mt="xs">
            {AGENTS.map((a) => <Radio key={a.value} value={a.value} label={a.label} description={a.help} />)}
          </Stack>
        </Radio.Group>
        {ld.agent === 'pipe' && (
          <TextInput mt="sm" label="Program" description="$u is the user name, like MAILER(procmail)'s procmail -d $u"
            value={ld.command} onChange={(e) => setLd({ command: e.currentTarget.value })} error={rf.errorFor('localDelivery.command')} ff="monospace" />
        )}
        {ld.agent !== 'pipe' && (
          <TextInput mt="sm" label="Mailboxes live in" description="Relative paths are inside the data directory"
            value={ld.mailboxDir} onChange={(e) => setLd({ mailboxDir: e.currentTarget.value })} error={rf.errorFor('localDelivery.mailboxDir')} />
        )}
        <Switch mt="md" label="Forwarding enabled" description="Per-user forwarding (the Forwarding page); off ignores every forward, like an empty confFORWARD_PATH"
          checked={ld.forwardEnabled} onChange={(e) => setLd({ forwardEnabled: e.currentTarget.checked })} />
        <Switch mt="sm" label="Also read ~/.forward files of system users" disabled={!ld.forwardEnabled}
          checked={ld.readHomeForward} onChange={(e) => setLd({ readHomeForward: e.currentTarget.checked })} />
      </Card>
      <RoutingSaveBar rf={rf} />
    </RoutingPage>
  );
}
