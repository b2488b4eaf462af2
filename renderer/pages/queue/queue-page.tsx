// Queue: the live mailq. Filters, a virtualized list, actions on a selection, a
// detail drawer, and summaries. The engine filters and counts (listQueuePage); the
// page asks for the rows in view and asks again when the live store says the queue
// changed — no reload, no polling, and never the whole 100 000-entry list.
import { Button, Group, SegmentedControl, Stack, Tabs, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { QueueEntry } from '../../../engine/contracts.ts';
import type { QueuePageQuery } from '../../../engine/api.ts';
import { useLive, useLiveSelect } from '../../state/context.tsx';
import { prefetchQueuePage, QUEUE_WINDOW_ROWS } from '../../state/queue-prefetch.ts';
import { createStore, useStore } from '../../state/store.ts';
import { EMPTY_FILTER, isEmptyFilter, toViewFilter, type QueueFilter } from './filters.ts';
import { FlushButton } from '../../components/flush-button.tsx';
import { QueueActions } from './queue-actions.tsx';
import { QueueDetail } from './queue-detail.tsx';
import { ShapeView, TopView } from './queue-stats.tsx';
import { QueueTable } from './queue-table.tsx';
import { SelectionBanner, useSelection } from './selection.tsx';
import { useQueueWindow } from './use-queue-window.ts';

// Filters survive leaving the page and coming back, like a form draft.
const filterStore = createStore<QueueFilter>(EMPTY_FILTER);

/** Ages in the list tick this often; the drawer's countdown ticks every second on its own. */
const AGE_TICK_MS = 5000;
/**
 * The window asked for moves in steps of WINDOW_STEP rows and reaches one step
 * above the first row in view and QUEUE_WINDOW_ROWS - WINDOW_STEP from there: a
 * screen is ~15 rows, so scrolling asks again only every 40 rows.
 */
const WINDOW_STEP = 40;

export function QueuePage() {
  const { client } = useLive();
  // Only what the page draws: a re-render of the whole page per log line or status
  // poll would hold up the answer it is waiting for.
  const online = useLiveSelect((s) => s.status?.online ?? null);
  const mode = useLiveSelect((s) => s.status?.mode);
  const delivering = useLiveSelect((s) => s.delivering);
  const queueVersion = useLiveSelect((s) => s.queueVersion);
  const queueRemoved = useLiveSelect((s) => s.queueRemoved);
  const filter = useStore(filterStore);
  const viewFilter = useMemo(() => toViewFilter(filter), [filter]);
  const [offset, setOffset] = useState(0);
  const setFilter = (patch: Partial<QueueFilter>): void => {
    const next = { ...filterStore.get(), ...patch };
    // Ask from the key handler: the answer is on its way while React re-renders.
    prefetchQueuePage(client, { filter: toViewFilter(next), offset, limit: QUEUE_WINDOW_ROWS });
    filterStore.set(next, true);
  };
  const [open, setOpen] = useState<QueueEntry | null>(null);
  const [now, setNow] = useState(Date.now());
  const [tab, setTab] = useState<string | null>('messages');

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), AGE_TICK_MS);
    return () => clearInterval(t);
  }, []);

  const query = useMemo<QueuePageQuery>(() => ({ filter: viewFilter, offset, limit: QUEUE_WINDOW_ROWS }), [viewFilter, offset]);
  const { page, error } = useQueueWindow(client, query, queueVersion);
  const onRange = useCallback((start: number) => setOffset(Math.max(0, Math.floor(start / WINDOW_STEP) * WINDOW_STEP - WINDOW_STEP)), []);
  const rowAt = useCallback((i: number): QueueEntry | null => {
    if (!page || i < page.offset) return null;
    return page.entries[i - page.offset] ?? null;
  }, [page]);

  // Close the drawer of a message that left the queue (the selection drops it by itself).
  useEffect(() => {
    if (queueRemoved.length === 0) return;
    const gone = new Set(queueRemoved);
    setOpen((o) => (o && gone.has(o.id) ? null : o));
  }, [queueRemoved]);
  const filterKey = useMemo(() => JSON.stringify(viewFilter), [viewFilter]);
  const selection = useSelection(client, filterKey, viewFilter, page, queueRemoved);
  const selected = selection.sel.ids;

  // The open drawer follows its message's newest state while it is in the window.
  useEffect(() => {
    setOpen((o) => (o && page?.entries.find((e) => e.id === o.id)) ?? o);
  }, [page]);

  const matched = selection.matched;
  const openId = useCallback((id: string) => setOpen(page?.entries.find((e) => e.id === id) ?? null), [page]);

  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={2}>Queue</Title>
        <Text size="sm" c={error ? 'red' : 'dimmed'} data-testid="queue-shown">
          {page ? `${page.matched} of ${page.total} messages` : error ?? 'loading…'}
        </Text>
      </Group>
      <FlushButton compact />
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
              <TextInput label="Sender" size="xs" placeholder="<> finds bounces" value={filter.sender} onChange={(e) => setFilter({ sender: e.currentTarget.value })} w={160} />
              <TextInput label="Recipient" size="xs" value={filter.recipient} onChange={(e) => setFilter({ recipient: e.currentTarget.value })} w={160} />
              <TextInput label="Domain" size="xs" value={filter.domain} onChange={(e) => setFilter({ domain: e.currentTarget.value })} w={140} />
              <TextInput label="Text" size="xs" placeholder="ID, reply, anything" value={filter.text} onChange={(e) => setFilter({ text: e.currentTarget.value })} w={180} />
              {!isEmptyFilter(filter) && <Button size="xs" variant="subtle" onClick={() => filterStore.set(EMPTY_FILTER, true)}>Clear filters</Button>}
            </Group>
            <QueueActions ids={[...selected]} allMatching={selection.sel.allMatching} onDone={selection.clear} />
            <SelectionBanner sel={selection.sel} matched={matched} shownCount={selection.shownCount} allShownSelected={selection.allShownSelected}
              onSelectAll={selection.selectAllMatching} onClear={selection.clear} onDismiss={selection.clear} />
            <QueueTable count={matched} rowAt={rowAt} onRange={onRange} loaded={page !== null} selected={selected} now={now} online={online}
              mode={mode} delivering={delivering} allSelected={selection.allShownSelected}
              onToggle={selection.toggle} onToggleAll={selection.toggleShown} onOpen={openId} height="calc(100vh - 360px)" filtered={!isEmptyFilter(filter)} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="top" pt="sm"><TopView filter={viewFilter} version={queueVersion} /></Tabs.Panel>
        <Tabs.Panel value="shape" pt="sm"><ShapeView filter={viewFilter} version={queueVersion} /></Tabs.Panel>
      </Tabs>
      <QueueDetail entry={open} reason={{ online, mode, delivering: open ? delivering.has(open.id) : false }} onClose={() => setOpen(null)} />
    </Stack>
  );
}
