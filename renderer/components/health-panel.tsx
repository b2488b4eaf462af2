// The health check for the Overview (issue 6): open-relay risk, certificate,
// AUTH without TLS, DH parameters, DNSBL zones, smart host — each with the
// setting to fix. Asks EngineApi.healthCheck; holds no judgement of its own.
import { Badge, Button, Card, Group, Stack, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { HealthItem } from '../../engine/api.ts';
import { MailAuthCheck } from '../pages/dkim/mail-auth-check.tsx';
import { useLive } from '../state/context.tsx';
import { useAction } from './use-action.ts';

const COLOR = { ok: 'teal', warn: 'orange', error: 'red' } as const;
const TITLE: Record<HealthItem['item'], string> = {
  'open-relay': 'Open relay', certificate: 'Certificate', auth: 'AUTH', 'dh-params': 'DH parameters',
  'smart-host': 'Smart host', dnsbl: 'Block list', privacy: 'Privacy',
};

export function HealthPanel() {
  const { client } = useLive();
  const [items, setItems] = useState<HealthItem[] | null>(null);
  const { busy, error, act } = useAction();
  const run = (probeSmartHost = false) => act(async () => setItems(await client.healthCheck({ probeSmartHost })));
  useEffect(() => { void run(); }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const order = { error: 0, warn: 1, ok: 2 };
  return (
    <Card withBorder data-testid="health-panel">
      <Group justify="space-between">
        <Text fw={600}>Health</Text>
        <Group gap="xs">
          <Button size="xs" variant="default" onClick={() => void run()} loading={busy}>Check again</Button>
          <Button size="xs" variant="default" onClick={() => void run(true)} disabled={busy}>Check with smart host</Button>
        </Group>
      </Group>
      {error && <Text c="red" size="sm">{error}</Text>}
      <Stack gap={4} mt="xs">
        {[...(items ?? [])].sort((a, b) => order[a.level] - order[b.level]).map((i, n) => (
          <Group key={n} gap="xs" wrap="nowrap" align="flex-start">
            <Badge color={COLOR[i.level]} variant="light" w={70}>{i.level}</Badge>
            <Text size="sm"><b>{TITLE[i.item]}</b>: {i.detail}{i.field ? <Text span c="dimmed" size="xs"> ({i.field})</Text> : null}</Text>
          </Group>
        ))}
      </Stack>
      <MailAuthCheck />
    </Card>
  );
}
