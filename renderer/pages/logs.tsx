// Logs: the maillog as it is written (log:line events on top of a tailLog), with a
// filter by queue ID or address. A filter also asks the engine for older matching
// lines, since the live buffer only holds the recent ones.
import { Button, Code, Group, ScrollArea, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useLive, useLiveState } from '../state/context.tsx';

/** Lines drawn at once; more is unreadable and slow, and the filter narrows it. */
const SHOW = 2000;
/** Older matching lines fetched from the maillog when a filter is typed. */
const HISTORY_LINES = 1000;

export function LogsPage() {
  const { client } = useLive();
  const { log } = useLiveState();
  const [filter, setFilter] = useState('');
  const [older, setOlder] = useState<string[]>([]);
  const [follow, setFollow] = useState(true);
  const viewport = useRef<HTMLDivElement>(null);
  const q = useDeferredValue(filter.trim().toLowerCase());

  useEffect(() => {
    if (!q) return setOlder([]);
    let live = true;
    // Wait for typing to pause before asking the engine to scan its log.
    const t = setTimeout(() => {
      client.tailLog(HISTORY_LINES, q).then((lines) => live && setOlder(lines), () => undefined);
    }, 300);
    return () => { live = false; clearTimeout(t); };
  }, [client, q]);

  const lines = useMemo(() => {
    const liveLines = q ? log.filter((l) => l.toLowerCase().includes(q)) : log;
    // The engine's answer and the live buffer overlap: keep each line once, in order.
    const seen = new Set(liveLines);
    const merged = [...older.filter((l) => !seen.has(l)), ...liveLines];
    return merged.slice(-SHOW);
  }, [log, older, q]);

  useEffect(() => {
    if (follow && viewport.current) viewport.current.scrollTop = viewport.current.scrollHeight;
  }, [lines, follow]);

  return (
    <Stack gap="sm">
      <Title order={2}>Logs</Title>
      <Group align="flex-end">
        <TextInput label="Filter" description="Queue ID or address" placeholder="e.g. 0Mx3Ab… or alice@example.com" w={360}
          value={filter} onChange={(e) => setFilter(e.currentTarget.value)} data-testid="log-filter" />
        <Switch label="Follow new lines" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
        {filter && <Button variant="subtle" size="xs" onClick={() => setFilter('')}>Clear</Button>}
        <Text size="sm" c="dimmed">{lines.length} lines</Text>
      </Group>
      <ScrollArea h="calc(100vh - 230px)" viewportRef={viewport} type="auto" offsetScrollbars>
        <Code block data-testid="log-lines" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: 12 }}>
          {lines.length ? lines.join('\n') : q ? 'No line matches.' : 'The log is empty.'}
        </Code>
      </ScrollArea>
    </Stack>
  );
}
