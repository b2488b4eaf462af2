// The health panel's "Check DKIM, SPF, DMARC" (issue 15): the readiness check of
// every domain with DKIM keys, through EngineApi.dkimCheck, shown by domain.
import { Button, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { ReadinessItem } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';
import { ReadinessList } from './readiness-list.tsx';
import { useAction } from '../../components/use-action.ts';

export function MailAuthCheck() {
  const { client } = useLive();
  const [results, setResults] = useState<{ domain: string; items: ReadinessItem[] }[] | null>(null);
  const { busy, error, act } = useAction();
  const run = () => act(async () => {
    const domains = await client.dkimShow();
    setResults(await Promise.all(domains.map(async (d) => ({ domain: d.domain, items: await client.dkimCheck(d.domain) }))));
  });
  return (
    <Stack gap="xs" mt="md" data-testid="mail-auth-check">
      <Group justify="space-between">
        <Text fw={600} size="sm">Mail authentication (DKIM, SPF, DMARC)</Text>
        <Button size="xs" variant="default" onClick={() => void run()} loading={busy} data-testid="mail-auth-check-run">Check DKIM, SPF, DMARC</Button>
      </Group>
      {error && <Text c="red" size="sm">{error}</Text>}
      {results?.length === 0 && <Text size="sm" c="dimmed">No domain has a DKIM key yet (DKIM &amp; checks page, or mailstop dkim keygen DOMAIN).</Text>}
      {results?.map((r) => (
        <div key={r.domain}>
          <Text size="sm" fw={600}>{r.domain}</Text>
          <ReadinessList items={r.items} />
        </div>
      ))}
    </Stack>
  );
}
