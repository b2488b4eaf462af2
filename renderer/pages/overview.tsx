// Overview: is mail moving, and if not why; the queue by state; the last 24 h; the
// one big Flush button.
import { Badge, Card, Group, List, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { FlushButton } from '../components/flush-button.tsx';
import { HealthPanel } from '../components/health-panel.tsx';
import { HistoryChart } from '../components/history-chart.tsx';
import { formatSpan } from '../lib/format.ts';
import { useLiveState } from '../state/context.tsx';
import { modeLabel } from '../../engine/api.ts';


function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function OverviewPage() {
  const { status, history, error } = useLiveState();
  const now = useNow(10_000);
  if (!status) return <Text c={error ? 'red' : 'dimmed'}>{error ?? 'Connecting to the engine…'}</Text>;
  const counts = [
    { label: 'Queued', value: status.counts.total },
    { label: 'Active', value: status.counts.active },
    { label: 'Deferred', value: status.counts.deferred },
    { label: 'Held', value: status.counts.hold },
    { label: 'Corrupt', value: status.counts.corrupt },
  ];
  return (
    <Stack gap="lg">
      <Title order={2}>Overview</Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Group justify="space-between">
            <Text fw={600}>Network</Text>
            <Badge color={status.online.online ? 'teal' : 'gray'} size="lg" variant="light">{status.online.online ? 'Online' : 'Offline'}</Badge>
          </Group>
          <Text size="sm" mt="xs" data-testid="online-reason">{status.online.reason}</Text>
          <Text size="xs" c="dimmed">for {formatSpan(now - status.online.since)}</Text>
          <Text fw={600} mt="md">Delivery mode</Text>
          <Text size="sm" data-testid="overview-mode">{modeLabel(status.mode)}</Text>
          <Text fw={600} mt="md">Listening on</Text>
          <List size="sm">
            {status.listeners.map((l) => <List.Item key={`${l.name}${l.port}`}>{l.name}: {l.address}:{l.port}</List.Item>)}
            {status.listeners.length === 0 && <List.Item>nothing</List.Item>}
          </List>
        </Card>
        <Card withBorder>
          <FlushButton />
        </Card>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 2, sm: 5 }}>
        {counts.map((c) => (
          <Card key={c.label} withBorder padding="sm">
            <Text size="xs" c="dimmed" tt="uppercase">{c.label}</Text>
            <Text size="xl" fw={700} data-testid={`count-${c.label.toLowerCase()}`}>{c.value}</Text>
          </Card>
        ))}
      </SimpleGrid>
      <Card withBorder>
        <Text fw={600} mb="xs">Last 24 hours</Text>
        <HistoryChart history={history} />
      </Card>
      <HealthPanel />
      <Text size="xs" c="dimmed">{status.hostname} · Mailstop {status.version} · pid {status.pid} · up {formatSpan(now - status.startedAt)}</Text>
    </Stack>
  );
}
