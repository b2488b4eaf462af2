// Aliases (/etc/aliases): name → targets, where a target is an address, /dev/null
// (the seeds' dev-null alias), a /path/file to append to, a |program, or an
// :include: list. The engine's problem for each row (bad target, loop, program
// that cannot run) shows beside it; pasted /etc/aliases text is parsed by the
// engine (alias-import.tsx) and merged in.
import { ActionIcon, Badge, Button, Card, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useLive, useLiveState } from '../../state/context.tsx';
import { useUnreachableMembers } from './alias-check.ts';
import { AliasImport } from './alias-import.tsx';
import { exampleDomain, RemoveIcon, RoutingPage } from './page-shell.tsx';
import { RoutingSaveBar, useRoutingForm } from './routing-form.tsx';

export interface AliasRow { name: string; targets: string }

/** Comma-separated, as in /etc/aliases; a quoted target ("|prog a, b") keeps its commas. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter(Boolean);
}

function toSettings(rows: AliasRow[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const name = r.name.trim().toLowerCase();
    if (name === '' && r.targets.trim() === '') continue;
    // A second row of the same name would silently replace the first: keep the first (newaliases does).
    if (!(name in out)) out[name] = splitList(r.targets);
  }
  return out;
}

/** A word for what a target is, so `|prog` and `/dev/null` stand out. */
function kindOf(t: string): { label: string; color: string } {
  const s = t.replace(/^"|"$/g, '');
  if (s === '/dev/null') return { label: 'discard', color: 'gray' };
  if (s.startsWith('|')) return { label: 'program', color: 'grape' };
  if (s.toLowerCase().startsWith(':include:')) return { label: 'include', color: 'cyan' };
  if (s.startsWith('/')) return { label: 'file', color: 'orange' };
  if (s.startsWith('\\')) return { label: 'mailbox', color: 'teal' };
  return { label: s.includes('@') ? 'address' : 'local', color: 'blue' };
}

export function AliasesPage() {
  const { settings } = useLiveState();
  const rf = useRoutingForm<AliasRow[]>('routing.aliases',
    (s) => Object.entries(s.aliases).map(([name, targets]) => ({ name, targets: targets.join(', ') })),
    (rows) => ({ aliases: toSettings(rows) }),
    (rows) => Object.entries(toSettings(rows)).map(([n, t]) => `${n}: ${t.join(', ')}`));
  const rows = rf.form.value;
  const { client } = useLive();
  const names = new Set((rows ?? []).map((r) => r.name.trim().toLowerCase()).filter(Boolean));
  const unreachable = useUnreachableMembers(client, settings?.hostname, (rows ?? []).flatMap((r) => splitList(r.targets)), names);
  if (!rows) return <Text c="dimmed">Loading settings…</Text>;
  const setRow = (i: number, patch: Partial<AliasRow>): void => rf.form.set((p) => p.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const firstIndex = new Map<string, number>();
  rows.forEach((r, i) => { const n = r.name.trim().toLowerCase(); if (!firstIndex.has(n)) firstIndex.set(n, i); });

  return (
    <RoutingPage title="Aliases" suggest={`postmaster@${exampleDomain(settings)}`}
      sendmail={<>Sendmail's <code>/etc/aliases</code> (checked like <code>newaliases</code>).</>}>
      <Card withBorder>
        {rows.length === 0 && <Text size="sm" c="dimmed" data-testid="empty-table">Nothing here yet: no aliases. Add one, or paste an /etc/aliases file below.</Text>}
        <Table.ScrollContainer minWidth={440} type="native"><Table verticalSpacing="xs" layout="fixed">
          <Table.Thead>
            <Table.Tr><Table.Th w="30%">Name</Table.Th><Table.Th>Delivers to (comma-separated)</Table.Th><Table.Th w={48} /></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => {
              const name = r.name.trim().toLowerCase();
              const dup = name !== '' && firstIndex.get(name) !== i;
              const targetErrors = dup ? [] : rf.errorsUnder(`aliases.${name}`).filter((m) => m !== rf.errorAt(`aliases.${name}`));
              return (
                <Table.Tr key={i} data-testid={`alias-${name || i}`}>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Alias name ${i + 1}`} value={r.name} placeholder="sales"
                      error={dup ? `duplicate of row ${(firstIndex.get(name) ?? 0) + 1}; this one is ignored` : name === '' && r.targets.trim() !== '' ? 'needs a name' : rf.errorAt(`aliases.${name}`)}
                      onChange={(e) => setRow(i, { name: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <TextInput aria-label={`Targets of ${name || `alias ${i + 1}`}`} value={r.targets} placeholder="alice, bob@example.org, /dev/null"
                      ff="monospace" error={targetErrors.length ? targetErrors.join('; ') : undefined}
                      onChange={(e) => setRow(i, { targets: e.currentTarget.value })} />
                    <Group gap={4} mt={4}>
                      {splitList(r.targets).map((t, k) => { const kind = kindOf(t); return <Badge key={k} size="xs" variant="light" color={kind.color}>{kind.label}</Badge>; })}
                    </Group>
                    {splitList(r.targets).filter((t) => unreachable.has(t)).map((t) => (
                      <Text key={t} size="xs" c="orange" mt={4} data-testid="alias-unreachable">
                        Nobody receives mail for “{t}”: {unreachable.get(t)}. Mail to {name || 'this alias'} would bounce for it.
                      </Text>
                    ))}
                  </Table.Td>
                  <Table.Td style={{ verticalAlign: 'top' }}>
                    <ActionIcon variant="subtle" color="gray" size="lg" aria-label={`Remove alias ${name || i + 1}`}
                      onClick={() => rf.form.set((p) => p.filter((_, j) => j !== i))}><RemoveIcon /></ActionIcon>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table></Table.ScrollContainer>
        <Group mt="sm" gap="xs">
          <Button variant="default" onClick={() => rf.form.set((p) => [...p, { name: '', targets: '' }])}>Add alias</Button>
          <Button variant="subtle" onClick={() => rf.form.set((p) => [...p, { name: 'dev-null', targets: '/dev/null' }])}
            disabled={firstIndex.has('dev-null')}>Add a dev-null alias</Button>
        </Group>
        <Text size="xs" c="dimmed" mt="xs">
          Targets: an address, <code>/dev/null</code> (accept and drop), <code>/path/file</code> (append),
          {' '}<code>|/path/program args</code> (message on stdin), <code>:include:/path/list</code>, <code>\user</code> (that mailbox, no further aliasing).
        </Text>
      </Card>
      <AliasImport onImport={(aliases) => rf.form.set((p) => {
        const incoming = new Map(Object.entries(aliases));
        const kept = p.map((r) => {
          const t = incoming.get(r.name.trim().toLowerCase());
          if (t === undefined) return r;
          incoming.delete(r.name.trim().toLowerCase());
          return { ...r, targets: t.join(', ') };
        });
        return [...kept, ...[...incoming].map(([name, t]) => ({ name, targets: t.join(', ') }))];
      })} />
      <Stack gap={0}><RoutingSaveBar rf={rf} /></Stack>
    </RoutingPage>
  );
}
