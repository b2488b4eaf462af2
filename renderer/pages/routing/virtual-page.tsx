// Virtual users (Sendmail's virtusertable, Postfix's virtual_alias_maps): an
// address in one of our domains, or "@domain" for the rest of that domain, →
// local users, addresses, "%1@other.example", or one "error:nouser text". The
// domains named here become ours. Same draft, engine check and change preview as
// the other routing pages; the address tester shows the "virtual:" step.
import { ActionIcon, Button, Card, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useLiveState } from '../../state/context.tsx';
import { splitList } from './aliases-page.tsx';
import { exampleDomain, RemoveIcon, RoutingPage } from './page-shell.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

interface VirtualRow { key: string; targets: string }

function toSettings(rows: VirtualRow[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const key = r.key.trim().toLowerCase();
    if (key === '' && r.targets.trim() === '') continue;
    const t = r.targets.trim();
    // An error: entry is one target even when its text has commas.
    if (!(key in out)) out[key] = /^error:/i.test(t) ? [t] : splitList(t);
  }
  return out;
}

export function VirtualPage() {
  const { settings } = useLiveState();
  const rf = useRoutingForm<VirtualRow[]>('routing.virtual',
    (s) => Object.entries(s.virtual ?? {}).map(([key, targets]) => ({ key, targets: targets.join(', ') })),
    (rows) => ({ virtual: toSettings(rows) }),
    (rows) => Object.entries(toSettings(rows)).map(([k, t]) => `${k}\t${t.join(',')}`));
  const rows = rf.form.value;
  if (!rows) return <Text c="dimmed">Loading settings…</Text>;
  const setRow = (i: number, patch: Partial<VirtualRow>): void => rf.form.set((p) => p.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const domain = exampleDomain(settings);
  return (
    <RoutingPage title="Virtual users" suggest={`info@${domain}`}
      sendmail={<>Sendmail's <code>virtusertable</code> (Postfix: <code>virtual_alias_maps</code>). Looked up after "is this domain ours?" and before aliases.</>}>
      <Card withBorder>
        <Table verticalSpacing="xs" layout="fixed">
          <Table.Thead>
            <Table.Tr><Table.Th w={260}>Address or @domain</Table.Th><Table.Th>Delivers to (comma-separated), or error:…</Table.Th><Table.Th w={48} /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => {
              const key = r.key.trim().toLowerCase();
              const targetErrors = rf.errorsUnder(`virtual.${key}`).filter((m) => m !== rf.errorAt(`virtual.${key}`));
              return (
                <Table.Tr key={i} data-testid={`virtual-${key || i}`}>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Virtual address ${i + 1}`} value={r.key} placeholder={`info@${domain}`} ff="monospace"
                      error={key === '' && r.targets.trim() !== '' ? 'needs an address or @domain' : rf.errorAt(`virtual.${key}`)}
                      onChange={(e) => setRow(i, { key: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Targets of ${key || `virtual address ${i + 1}`}`} value={r.targets} placeholder="alice, bob@example.org" ff="monospace"
                      error={targetErrors.length ? targetErrors.join('; ') : undefined}
                      onChange={(e) => setRow(i, { targets: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove virtual address ${key || i + 1}`}
                      onClick={() => rf.form.set((p) => p.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        <Group mt="sm" gap="xs">
          <Button variant="default" onClick={() => rf.form.set((p) => [...p, { key: '', targets: '' }])}>Add virtual address</Button>
        </Group>
        <Text size="xs" c="dimmed" mt="xs">
          <code>@{domain}</code> catches every other address of the domain; <code>%1@other.example</code> keeps the local part;
          {' '}<code>error:nouser No such user</code> refuses at RCPT (550 5.1.1). A domain named here is accepted as ours.
        </Text>
      </Card>
      <Stack gap={0}><RoutingSaveBar rf={rf} /></Stack>
    </RoutingPage>
  );
}
