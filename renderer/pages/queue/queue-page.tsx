// Queue: the live mailq. Filters, a virtualized list, actions on a selection, a
// detail drawer, and summaries. Everything comes from the live store, which the
// engine's queue events keep current — no reload, no polling of the list.
import { Button, Group, SegmentedControl, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import { useLiveState } from '../../state/context.tsx';
import { createStore, useStore } from '../../state/store.ts';
import { EMPTY_FILTER, filterQueue, isEmptyFilter, prewarm, type QueueFilter } from './filters.ts';
import { QueueActions } from './queue-actions.tsx';
import { QueueDetail } from './queue-detail.tsx';
import { ShapeView, TopView } from './queue-stats.tsx';
import { QueueTable } from './queue-table.tsx';

// Filters survive leaving the page and coming back, like a form draft.
const filterStore = createStore<QueueFilter>(EMPTY_FILTER);

/** Ages in the list tick this often; the drawer's countdown ticks every second on its own. */
const AGE_TICK_MS = 5000;

export function QueuePage() {
  const { queue, status, queueLoaded, delivering } = useLiveState();
  const filter = useStore(filterStore);
  const setFilter = (patch: Partial<QueueFilter>): void => filterStore.set((f) => ({ ...f, ...patch }), true);
  // Typing stays responsive on 100 000 rows: React filters with the deferred value.
  const deferred = useDeferredValue(filter);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const [tab, setTab] = useState<string | null>('messages');

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), AGE_TICK_MS);
    return () => clearInterval(t);
  }, []);

  const all = useMemo(() => [...queue.values()], [queue]);
  useEffect(() => prewarm(all), [all]);
  const shown = useMemo(() => filterQueue(all, deferred), [all, deferred]);

  // Drop selections of messages that left the queue.
  useEffect(() => {
    setSelected((s) => {
      const kept = [...s].filter((id) => queue.has(id));
      return kept.length === s.size ? s : new Set(kept);
    });
  }, [queue]);

  const toggle = useCallback((id: string) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id); else n.add(id);
    return n;
  }), []);
  const allSelected = shown.length > 0 && shown.every((e) => selected.has(e.id));
  const toggleAll = (): void => setSelected(allSelected ? new Set() : new Set(shown.map((e) => e.id)));
  const openEntry = open ? queue.get(open) ?? null : null;

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2}>Queue</Title>
        <Text size="sm" c="dimmed" data-testid="queue-shown">
          {queueLoaded ? `${shown.length} of ${queue.size} messages` : 'loading…'}
        </Text>
      </Group>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="messages">Messages</Tabs.Tab>
          <Tabs.Tab value="top">Top recipients / domains</Tabs.Tab>
          <Tabs.Tab value="shape">Age × domain</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="messages" pt="sm">
          <Stack gap="xs">
            <Group gap="xs" align="flex-end" wrap="wrap">
              <SegmentedControl value={filter.state} onChange={(v) => setFilter({ state: v as QueueFilter['state'] })} aria-label="State"
                data={[{ value: 'all', label: 'All' }, { value: 'active', label: 'Active' }, { value: 'deferred', label: 'Deferred' }, { value: 'hold', label: 'Held' }]} />
              <TextInput label="Sender" size="xs" value={filter.sender} onChange={(e) => setFilter({ sender: e.currentTarget.value })} w={160} />
              <TextInput label="Recipient" size="xs" value={filter.recipient} onChange={(e) => setFilter({ recipient: e.currentTarget.value })} w={160} />
              <TextInput label="Domain" size="xs" value={filter.domain} onChange={(e) => setFilter({ domain: e.currentTarget.value })} w={140} />
              <TextInput label="Text" size="xs" placeholder="ID, reply, anything" value={filter.text} onChange={(e) => setFilter({ text: e.currentTarget.value })} w={180} />
              {!isEmptyFilter(filter) && <Button size="xs" variant="subtle" onClick={() => filterStore.set(EMPTY_FILTER, true)}>Clear filters</Button>}
            </Group>
            <QueueActions ids={[...selected]} onDone={() => setSelected(new Set())} />
            <QueueTable entries={shown} selected={selected} now={now} online={status?.online ?? null} mode={status?.mode} delivering={delivering} allSelected={allSelected}
              onToggle={toggle} onToggleAll={toggleAll} onOpen={setOpen} height="calc(100vh - 330px)" />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="top" pt="sm"><TopView entries={shown} /></Tabs.Panel>
        <Tabs.Panel value="shape" pt="sm"><ShapeView entries={shown} now={now} /></Tabs.Panel>
      </Tabs>
      <QueueDetail entry={openEntry} reason={{ online: status?.online ?? null, mode: status?.mode, delivering: open ? delivering.has(open) : false }} onClose={() => setOpen(null)} />
    </Stack>
  );
}
