// The queue summarised: top recipients / domains / senders, and the qshape-style
// age × domain table (who is piling up, and since when). The engine counts over
// the filtered queue (listQueuePage `summary`); these only draw its answer.
import { SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import type { QueueSummaryBy, QueueViewFilter } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';
import { AGE_BUCKETS } from '../../../engine/api.ts';
import { useQueueWindow } from './use-queue-window.ts';

interface SummaryProps { filter: QueueViewFilter; version: number }

function useSummary(filter: QueueViewFilter, version: number, by: QueueSummaryBy) {
  const { client } = useLive();
  const query = useMemo(() => ({ filter, limit: 0, summary: by }), [filter, by]);
  return useQueueWindow(client, query, version).page?.summary ?? null;
}

export function TopView({ filter, version }: SummaryProps) {
  const [by, setBy] = useState<QueueSummaryBy>('domain');
  const top = useSummary(filter, version, by)?.top ?? [];
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

export function ShapeView({ filter, version }: SummaryProps) {
  const rows = useSummary(filter, version, 'domain')?.shape ?? [];
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">Pending recipients by domain and message age in minutes (like Postfix <code>qshape</code>).</Text>
      <Table.ScrollContainer minWidth={700}>
        <Table.ScrollContainer minWidth={760} type="native"><Table striped withColumnBorders data-testid="qshape-table">
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
        </Table></Table.ScrollContainer>
      </Table.ScrollContainer>
    </Stack>
  );
}
