// What the Queue page's actions apply to. A selection is always a subset of what
// the filter shows: changing the filter clears it (and says so), messages that
// leave the queue drop out of it, and "select all" selects the rows shown — every
// matching message is an explicit second step ("Select all N matching", as in
// Gmail), asked of the engine with the filter in force at that moment.
import { Alert, Anchor, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { QueuePage, QueueViewFilter } from '../../../engine/api.ts';
import type { QueueId } from '../../../engine/contracts.ts';
import type { MailstopClient } from '../../api/client.ts';

export interface Selection {
  ids: ReadonlySet<QueueId>;
  /** Every matching message was asked for (the second step), not just the rows shown. */
  allMatching: boolean;
  /** Why the selection was last emptied without the person asking (a filter change). */
  notice: string | null;
}

const NONE: Selection = { ids: new Set(), allMatching: false, notice: null };

export function useSelection(client: MailstopClient, filterKey: string, viewFilter: QueueViewFilter, page: QueuePage | null, removed: readonly QueueId[]) {
  const [sel, setSel] = useState<Selection>(NONE);
  const lastFilter = useRef(filterKey);

  // A new filter shows other messages: what was selected may no longer be shown.
  useEffect(() => {
    if (lastFilter.current === filterKey) return;
    lastFilter.current = filterKey;
    setSel((s) => (s.ids.size === 0 ? s : { ids: new Set(), allMatching: false, notice: `Selection cleared (${s.ids.size}): the filter changed.` }));
  }, [filterKey]);

  // Messages that left the queue leave the selection (a Set: a flush removes thousands).
  useEffect(() => {
    if (removed.length === 0) return;
    const gone = new Set(removed);
    setSel((s) => {
      const kept = [...s.ids].filter((id) => !gone.has(id));
      return kept.length === s.ids.size ? s : { ...s, ids: new Set(kept) };
    });
  }, [removed]);

  // A selected message that no longer matches (held elsewhere while the filter shows
  // Deferred) leaves the selection too — checkable whenever every match is loaded.
  useEffect(() => {
    if (!page || page.entries.length !== page.matched) return;
    const shownIds = new Set(page.entries.map((e) => e.id));
    setSel((s) => {
      const kept = [...s.ids].filter((id) => shownIds.has(id));
      return kept.length === s.ids.size ? s : { ...s, ids: new Set(kept) };
    });
  }, [page]);

  const toggle = useCallback((id: QueueId) => setSel((s) => {
    const ids = new Set(s.ids);
    if (ids.has(id)) ids.delete(id); else ids.add(id);
    return { ids, allMatching: false, notice: null };
  }), []);

  const shown = page?.entries ?? [];
  const matched = page?.matched ?? 0;
  const allShownSelected = shown.length > 0 && shown.every((e) => sel.ids.has(e.id));

  /** The header checkbox: the rows shown (loaded), or nothing when they all are. */
  const toggleShown = (): void => {
    if (allShownSelected) return setSel(NONE);
    setSel({ ids: new Set(shown.map((e) => e.id)), allMatching: shown.length === matched, notice: null });
  };

  const selectAllMatching = (): void => {
    const key = filterKey;
    void client.listQueuePage({ filter: viewFilter, limit: 0, withIds: true }).then((p) => {
      // The filter moved on while we asked: the answer is for messages no longer shown.
      if (lastFilter.current !== key) return;
      setSel({ ids: new Set(p.ids ?? []), allMatching: true, notice: null });
    });
  };

  const clear = useCallback(() => setSel(NONE), []);
  return { sel, toggle, toggleShown, selectAllMatching, clear, allShownSelected, matched, shownCount: shown.length };
}

/** The line under the actions: the second step, or why the selection went away. */
export function SelectionBanner(p: { sel: Selection; matched: number; shownCount: number; allShownSelected: boolean; onSelectAll(): void; onClear(): void; onDismiss(): void }) {
  if (p.sel.notice) {
    return <Alert color="blue" py={4} withCloseButton onClose={p.onDismiss} data-testid="selection-notice"><Text size="sm">{p.sel.notice}</Text></Alert>;
  }
  if (!p.allShownSelected || p.sel.ids.size === 0) return null;
  return (
    <Text size="sm" data-testid="selection-banner" role="status">
      {p.sel.allMatching
        ? <>All {p.sel.ids.size} matching message{p.sel.ids.size === 1 ? ' is' : 's are'} selected. <Anchor component="button" size="sm" onClick={p.onClear}>Clear selection</Anchor></>
        : <>The {p.sel.ids.size} loaded rows are selected. <Anchor component="button" size="sm" onClick={p.onSelectAll} data-testid="select-all-matching">Select all {p.matched} matching</Anchor></>}
    </Text>
  );
}
