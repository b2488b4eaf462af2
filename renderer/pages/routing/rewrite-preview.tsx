// Live preview of sender rewriting for one sample address: what the envelope
// sender, a From: header and a To: header become now (saved settings) and with
// the draft. The engine computes both (EngineApi.previewRewrite) with the same
// functions cleanup uses; this only asks and shows.
import { Card, Group, Table, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EngineApi } from '../../../engine/api.ts';
import type { Settings } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';

type Preview = Awaited<ReturnType<EngineApi['previewRewrite']>>;

/** Ask after typing pauses this long: one round trip per pause, not per key. */
const PREVIEW_DELAY_MS = 250;

const ROWS = [
  { key: 'envelope', label: 'Envelope sender (MAIL FROM)' },
  { key: 'headerSender', label: 'From: header' },
  { key: 'headerRecipient', label: 'To: header' },
] as const;

export function RewritePreview({ draft, hostname }: { draft: Settings['rewrite']; hostname: string }) {
  const { client } = useLive();
  const [sample, setSample] = useState('');
  const address = sample.trim() || 'alice';
  const draftJson = JSON.stringify(draft);
  const [result, setResult] = useState<{ now: Preview; next: Preview } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    const t = setTimeout(() => {
      Promise.all([client.previewRewrite(address), client.previewRewrite(address, { rewrite: JSON.parse(draftJson) as Settings['rewrite'] })])
        .then(([now, next]) => { if (!stale) { setResult({ now, next }); setError(null); } },
          (err: unknown) => { if (!stale) setError(err instanceof Error ? err.message : String(err)); });
    }, PREVIEW_DELAY_MS);
    return () => { stale = true; clearTimeout(t); };
  }, [address, draftJson, client]);

  const cell = (p: Preview | undefined, key: (typeof ROWS)[number]['key']): string => (p && p.ok ? p[key] : '—');
  return (
    <Card withBorder data-testid="rewrite-preview">
      <Group align="flex-end" justify="space-between">
        <Text fw={600}>Preview</Text>
        <TextInput label="Sample sender" placeholder={`alice, or alice@${hostname}`} value={sample} w={300}
          onChange={(e) => setSample(e.currentTarget.value)} />
      </Group>
      <Table.ScrollContainer minWidth={460} type="native"><Table mt="xs" verticalSpacing={4} layout="fixed">
        <Table.Thead><Table.Tr><Table.Th w="30%">{address} as</Table.Th><Table.Th>Now</Table.Th><Table.Th>After saving</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {ROWS.map((r) => {
            const now = cell(result?.now, r.key);
            const next = cell(result?.next, r.key);
            return (
              <Table.Tr key={r.key}>
                <Table.Td><Text size="sm">{r.label}</Text></Table.Td>
                <Table.Td><Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>{now}</Text></Table.Td>
                <Table.Td><Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }} fw={next !== now ? 700 : undefined} c={next !== now ? 'indigo' : undefined} data-testid={`rewrite-${r.key}`}>{next}</Text></Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table></Table.ScrollContainer>
      {result && !result.next.ok && <Text size="sm" c="red" mt="xs">{result.next.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}</Text>}
      {error && <Text size="sm" c="red" mt="xs">{error}</Text>}
    </Card>
  );
}
