// Access map: Sendmail's /etc/mail/access as a table of key → action rows.
// The engine validates every row (access[3].key: …) and the errors show on the
// row they belong to; nothing is saved while one is wrong.
import { ActionIcon, Button, Card, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import type { Settings } from '../../../engine/api.ts';
import { SaveBar, useSettingsForm } from '../../components/settings-form.tsx';
import { RemoveIcon } from '../routing/page-shell.tsx';
import { SecurityPage } from './shared.tsx';

type Rule = Settings['access'][number];

const EXAMPLES: Rule[] = [
  { key: 'Connect:192.168.1', action: 'RELAY' },
  { key: 'Connect:203.0.113.0/24', action: 'REJECT' },
  { key: 'From:spammer@example.net', action: 'REJECT' },
  { key: 'To:partner.example', action: 'RELAY' },
  { key: 'From:annoying.example', action: 'ERROR:"550 5.7.1 Go away"' },
  { key: 'Srv_Features:', action: 'V' },
  { key: 'Try_TLS:broken.example', action: 'NO' },
];

export function AccessMapPage() {
  const form = useSettingsForm<Rule[]>('security.access', (s) => s.access, (access) => ({ access }));
  const rules = form.value;
  if (!rules) return <Text c="dimmed">Loading settings…</Text>;
  const update = (i: number, patch: Partial<Rule>) => form.set((prev) => prev.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const move = (i: number, d: -1 | 1) => form.set((prev) => {
    const next = [...prev];
    [next[i], next[i + d]] = [next[i + d], next[i]];
    return next;
  });
  return (
    <SecurityPage title="Access map" sendmail={<>Sendmail's <code>/etc/mail/access</code>. The most specific key wins: an address before its domain, a host before its parent domains, an IP before its network.</>}>
      <Card withBorder>
        {rules.length === 0 && <Text size="sm" c="dimmed" data-testid="empty-table">Nothing here yet: no access rules, so the relay and spam settings alone decide.</Text>}
        <Table.ScrollContainer minWidth={480} type="native"><Table verticalSpacing={4} data-testid="access-table">
          <Table.Thead>
            <Table.Tr><Table.Th>Key</Table.Th><Table.Th>Action</Table.Th><Table.Th w={110} /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.map((r, i) => (
              <Table.Tr key={i}>
                <Table.Td><TextInput aria-label={`Key ${i + 1}`} value={r.key} ff="monospace" error={form.error(`access[${i}].key`)}
                  onChange={(e) => update(i, { key: e.currentTarget.value })} /></Table.Td>
                <Table.Td><TextInput aria-label={`Action ${i + 1}`} value={r.action} ff="monospace" error={form.error(`access[${i}].action`)}
                  onChange={(e) => update(i, { action: e.currentTarget.value })} /></Table.Td>
                <Table.Td>
                  <Group gap={2} wrap="nowrap">
                    <ActionIcon variant="subtle" color="gray" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</ActionIcon>
                    <ActionIcon variant="subtle" color="gray" aria-label={`Move rule ${i + 1} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)}>↓</ActionIcon>
                    <ActionIcon variant="subtle" color="gray" aria-label={`Remove rule ${i + 1}`} onClick={() => form.set((prev) => prev.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table></Table.ScrollContainer>
        <Button mt="sm" variant="default" onClick={() => form.set((prev) => [...prev, { key: 'Connect:', action: 'OK' }])}>Add rule</Button>
        <SaveBar form={form} />
      </Card>
      <Card withBorder>
        <Text fw={600}>Keys and actions</Text>
        <Stack gap={2} mt="xs">
          <Text size="sm"><code>Connect:</code> IP, prefix (192.168.1), CIDR, or host name · <code>From:</code> / <code>To:</code> address, domain, or <code>user@</code></Text>
          <Text size="sm"><code>OK</code> accept · <code>RELAY</code> may relay · <code>REJECT</code> 550 5.7.1 · <code>DISCARD</code> accept and drop · <code>ERROR:"550 5.7.1 text"</code> or <code>ERROR:4.7.1:"451 text"</code></Text>
          <Text size="sm"><code>Srv_Features:</code> per client: <code>S</code> no STARTTLS, <code>V</code> no client certificate, <code>A</code> no AUTH · <code>Try_TLS:host NO</code> never STARTTLS to a broken server · <code>Spam:user@ FRIEND|HATER</code> with delay checks</Text>
        </Stack>
        <Group gap="xs" mt="sm">
          <Text size="sm" c="dimmed">Add an example:</Text>
          {EXAMPLES.map((e) => (
            <Button key={e.key} size="compact-xs" variant="light" onClick={() => form.set((prev) => [...prev, e])}>{e.key} {e.action}</Button>
          ))}
        </Group>
      </Card>
    </SecurityPage>
  );
}
