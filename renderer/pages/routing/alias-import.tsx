// "Import /etc/aliases text": paste a file, the engine parses it the way
// `mailstop newaliases` would (EngineApi.parseAliases) and lists every problem by
// line; the usable entries are merged into the Aliases draft, to be reviewed in
// the change preview and saved like any other edit.
import { Alert, Button, Card, Group, List, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { EngineApi } from '../../../engine/api.ts';
import { useLive } from '../../state/context.tsx';
import { useAction } from '../../components/use-action.ts';

type Parsed = Awaited<ReturnType<EngineApi['parseAliases']>>;

export function AliasImport({ onImport }: { onImport(aliases: Record<string, string[]>): void }) {
  const { client } = useLive();
  const [text, setText] = useState('');
  const [parsed, setParsed] = useState<Parsed | null>(null);
  const { busy, error, act } = useAction();
  const count = parsed ? Object.keys(parsed.aliases).length : 0;

  const parse = () => act(async () => setParsed(await client.parseAliases(text)), () => setParsed(null));

  return (
    <Card withBorder>
      <Text fw={600}>Import /etc/aliases text</Text>
      <Textarea mt="xs" aria-label="/etc/aliases text" placeholder={'postmaster: root\nsales: alice, bob\ndev-null: /dev/null'}
        autosize minRows={3} maxRows={12} ff="monospace" value={text}
        onChange={(e) => { setText(e.currentTarget.value); setParsed(null); }} />
      <Group mt="xs" gap="xs">
        <Button variant="light" onClick={() => void parse()} loading={busy} disabled={text.trim() === ''}>Check</Button>
        {parsed && count > 0 && (
          <Button onClick={() => { onImport(parsed.aliases); setText(''); setParsed(null); }} data-testid="import-aliases">
            Add {count} alias{count === 1 ? '' : 'es'} to the list
          </Button>
        )}
        {parsed && <Text size="sm" c={parsed.problems.length ? 'orange' : 'teal'}>
          {count} usable, {parsed.problems.length} problem{parsed.problems.length === 1 ? '' : 's'}
        </Text>}
      </Group>
      {parsed && parsed.problems.length > 0 && (
        <List mt="xs" size="sm" spacing={2} data-testid="import-problems">
          {parsed.problems.map((p, i) => (
            <List.Item key={i}><Text span c={p.severity === 'error' ? 'red' : 'orange'} size="sm" ff="monospace">line {p.line}: {p.severity}: {p.message}</Text></List.Item>
          ))}
        </List>
      )}
      {error && <Alert mt="xs" color="red">{error}</Alert>}
    </Card>
  );
}
