// Block lists: Sendmail's FEATURE(dnsbl) / FEATURE(enhdnsbl) as rows of zone,
// reject message, answer codes and temp-fail choice, plus delay_checks; a *Test
// lookup* asks the lists as typed (saved or not) about one address.
import { ActionIcon, Alert, Button, Card, Group, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { Settings } from '../../../engine/api.ts';
import type { DnsblResult } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { useLive } from '../../state/context.tsx';
import { RemoveIcon } from '../routing/page-shell.tsx';
import { SecurityPage, Verdict } from './shared.tsx';
import { useAction } from '../../components/use-action.ts';

type Antispam = Settings['antispam'];
type List = Antispam['dnsbl'][number];

const NEW_LIST: List = { zone: '', message: 'Rejected: $&{client_addr} listed at $&{zone}', tempfail: false, match: [], enhanced: false };

function LookupTester({ lists }: { lists: List[] }) {
  const { client } = useLive();
  const [ip, setIp] = useState('127.0.0.2');
  const [results, setResults] = useState<DnsblResult[] | null>(null);
  const { busy, error, act } = useAction();
  const run = () => act(async () => setResults(await client.testDnsbl(ip.trim(), lists.filter((l) => l.zone))));
  return (
    <Card withBorder>
      <Text fw={600}>Test lookup</Text>
      <Text size="sm" c="dimmed">127.0.0.2 is listed by every working list (RFC 5782); use it to check a zone answers.</Text>
      <Group mt="sm" align="flex-end">
        <TextInput label="IP address" value={ip} onChange={(e) => setIp(e.currentTarget.value)} w={220} data-testid="dnsbl-ip" />
        <Button onClick={() => void run()} loading={busy} disabled={!ip.trim() || lists.every((l) => !l.zone)} data-testid="dnsbl-test">Test lookup</Button>
      </Group>
      {results && (
        <Stack gap={4} mt="sm" data-testid="dnsbl-results">
          {results.map((r) => (
            <Verdict key={r.zone} ok={r.status !== 'error'} label={r.status === 'listed' ? 'LISTED' : r.status === 'error' ? 'LOOKUP FAILED' : 'not listed'}
              detail={`${r.zone}${r.answers.length ? ` → ${r.answers.join(', ')}` : ''}${r.reason ? ` "${r.reason}"` : ''}${r.error ? ` (${r.error})` : ''}`} />
          ))}
        </Stack>
      )}
      {error && <Alert mt="sm" color="red">{error}</Alert>}
    </Card>
  );
}

export function BlockListsPage() {
  const form = useSettingsForm<Antispam>('security.antispam', (s) => s.antispam, (antispam) => ({ antispam }));
  const a = form.value;
  if (!a) return <Text c="dimmed">Loading settings…</Text>;
  const update = (i: number, patch: Partial<List>) => form.set((p) => ({ ...p, dnsbl: p.dnsbl.map((l, j) => (j === i ? { ...l, ...patch } : l)) }));
  return (
    <SecurityPage title="Block lists" sendmail={<>Sendmail's <code>FEATURE(dnsbl)</code> and <code>enhdnsbl</code>. Clients with <code>Connect: OK</code> or <code>RELAY</code>, relay networks and the local machine are never looked up.</>}>
      <Card withBorder>
        {a.dnsbl.length === 0 && <Text size="sm" c="dimmed" data-testid="empty-table">Nothing here yet: no block lists are consulted.</Text>}
        <Table.ScrollContainer minWidth={500} type="native"><Table verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr><Table.Th>Zone</Table.Th><Table.Th>Reject message</Table.Th><Table.Th>Answer codes</Table.Th><Table.Th>Temp-fail</Table.Th><Table.Th /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {a.dnsbl.map((l, i) => (
              <Table.Tr key={i}>
                <Table.Td><TextInput aria-label={`Zone ${i + 1}`} value={l.zone} placeholder="zen.spamhaus.org" error={form.error(`antispam.dnsbl[${i}].zone`)}
                  onChange={(e) => update(i, { zone: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Message ${i + 1}`} value={l.message} error={form.error(`antispam.dnsbl[${i}].message`)}
                  onChange={(e) => update(i, { message: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Answer codes ${i + 1}`} value={l.match.join(', ')} placeholder="any 127.0.0.x" w={150}
                  error={form.error(`antispam.dnsbl[${i}].match`)}
                  onChange={(e) => update(i, { match: e.currentTarget.value.split(/[,\s]+/).filter(Boolean), enhanced: e.currentTarget.value.trim() !== '' })} /></Table.Td>
                <Table.Td><Switch aria-label={`Temp-fail on lookup failure ${i + 1}`} checked={l.tempfail} onChange={(e) => update(i, { tempfail: e.currentTarget.checked })} /></Table.Td>
                <Table.Td><ActionIcon variant="subtle" color="gray" aria-label={`Remove list ${i + 1}`}
                  onClick={() => form.set((p) => ({ ...p, dnsbl: p.dnsbl.filter((_, j) => j !== i) }))}><RemoveIcon /></ActionIcon></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table></Table.ScrollContainer>
        <Text size="xs" c="dimmed" mt={4}><code>$&#38;{'{client_addr}'}</code> and <code>$&#38;{'{zone}'}</code> are filled in. Temp-fail answers 451 4.7.1 when the list cannot be asked, instead of letting the mail in.</Text>
        <Button mt="sm" variant="default" onClick={() => form.set((p) => ({ ...p, dnsbl: [...p.dnsbl, NEW_LIST] }))}>Add block list</Button>
        <Select mt="md" label="Delay checks" w={380} allowDeselect={false} value={a.delayChecks}
          onChange={(v) => v && form.set((p) => ({ ...p, delayChecks: v as Antispam['delayChecks'] }))}
          description="Check the client and sender at RCPT, so the log shows whom a rejection cost"
          data={[
            { value: 'off', label: 'Off: check at connect and MAIL' },
            { value: 'on', label: 'On: check at each recipient' },
            { value: 'friend', label: 'Friend: skip recipients marked Spam: FRIEND' },
            { value: 'hater', label: 'Hater: only recipients marked Spam: HATER' },
          ]} />
        <SaveBar form={form} />
      </Card>
      <LookupTester lists={a.dnsbl} />
    </SecurityPage>
  );
}
