// The queue summarised: top recipients / domains / senders, and the qshape-style
// age × domain table (who is piling up, and since when).
import { SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import type { QueueEntry } from '../../../engine/contracts.ts';
import { AGE_BUCKETS, qshape, topCounts } from './shape.ts';

export function TopView({ entries }: { entries: QueueEntry[] }) {
  const [by, setBy] = useState<'recipient' | 'domain' | 'sender'>('domain');
  const top = useMemo(() => topCounts(entries, by), [entries, by]);
  const max = top[0]?.count ?? 1;
  return (
    <Stack gap="sm">
      <SegmentedControl value={by} onChange={(v) => setBy(v as typeof by)} aria-label="Count by"
        data={[{ value: 'domain', label: 'Top domains' }, { value: 'recipient', label: 'Top recipients' }, { value: 'sender', label: 'Top senders' }]} />
      <Table striped data-testid="top-table">
        <Table.Thead><Table.Tr><Table.Th w={80}>Count</Table.Th><Table.Th>{by}</Table.Th><Table.Th w="40%" /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {top.map((t) => (
            <Table.Tr key={t.key}>
              <Table.Td>{t.count}</Table.Td>
              <Table.Td>{t.key}</Table.Td>
              <Table.Td><div style={{ height: 8, width: `${(t.count / max) * 100}%`, background: 'var(--mantine-color-indigo-4)', borderRadius: 4 }} /></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {top.length === 0 && <Text c="dimmed">Nothing pending.</Text>}
    </Stack>
  );
}

export function ShapeView({ entries, now }: { entries: QueueEntry[]; now: number }) {
  const rows = useMemo(() => qshape(entries, now), [entries, now]);
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">Pending recipients by domain and message age in minutes (like Postfix <code>qshape</code>).</Text>
      <Table.ScrollContainer minWidth={700}>
        <Table striped withColumnBorders data-testid="qshape-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>domain</Table.Th><Table.Th>T</Table.Th>
              {AGE_BUCKETS.map((b) => <Table.Th key={b}>{b}</Table.Th>)}
              <Table.Th>{AGE_BUCKETS[AGE_BUCKETS.length - 1]}+</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={r.domain} fw={r.domain === 'TOTAL' ? 700 : undefined}>
                <Table.Td>{r.domain}</Table.Td><Table.Td>{r.total}</Table.Td>
                {r.buckets.map((n, i) => <Table.Td key={i} c={n === 0 ? 'dimmed' : undefined}>{n}</Table.Td>)}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
