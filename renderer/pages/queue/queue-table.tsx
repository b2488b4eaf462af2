// The queue as a virtualized grid: only the rows in view are in the DOM, so
// 100 000 entries scroll as smoothly as 10 (TanStack Virtual). Rows are div-based
// with ARIA grid roles because a virtualized <table> cannot keep its layout.
import { Badge, Checkbox, Text, UnstyledButton } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useRef } from 'react';
import type { OnlineState } from '../../../engine/api.ts';
import type { QueueEntry } from '../../../engine/contracts.ts';
import type { Settings } from '../../../engine/config/schema.ts';
import { formatSize, formatSpan, senderLabel } from '../../lib/format.ts';
import { plainReason } from '../../lib/reason.ts';

const ROW_HEIGHT = 40;
/** Rows rendered beyond the viewport, so fast scrolling does not show blanks. */
const OVERSCAN = 12;
const COLUMNS = '36px 150px 90px 80px 80px minmax(140px,1fr) minmax(160px,1.4fr) minmax(160px,1.4fr)';

const STATE_COLOR: Record<string, string> = { active: 'blue', deferred: 'yellow', hold: 'gray' };

interface RowProps {
  entry: QueueEntry;
  selected: boolean;
  now: number;
  online: OnlineState | null;
  mode?: Settings['delivery']['mode'];
  delivering: boolean;
  onToggle(id: string): void;
  onOpen(id: string): void;
}

const Row = memo(function Row({ entry, selected, now, online, mode, delivering, onToggle, onOpen }: RowProps) {
  const pending = entry.recipients.filter((r) => r.status === 'pending');
  return (
    <>
      <div role="gridcell"><Checkbox size="xs" checked={selected} onChange={() => onToggle(entry.id)} aria-label={`Select ${entry.id}`} /></div>
      <div role="gridcell">
        <UnstyledButton onClick={() => onOpen(entry.id)} ff="monospace" fz="sm" c="indigo" aria-label={`Details of ${entry.id}`}>{entry.id}</UnstyledButton>
      </div>
      <div role="gridcell"><Badge size="sm" variant="light" color={STATE_COLOR[entry.state]}>{entry.state}</Badge></div>
      <div role="gridcell"><Text size="sm">{formatSpan(now - entry.arrivalTime)}</Text></div>
      <div role="gridcell"><Text size="sm">{formatSize(entry.size)}</Text></div>
      <div role="gridcell"><Text size="sm" truncate="end">{senderLabel(entry.sender)}</Text></div>
      <div role="gridcell">
        <Text size="sm" truncate="end">{pending[0]?.address ?? entry.recipients[0]?.address}{pending.length > 1 ? ` +${pending.length - 1}` : ''}</Text>
      </div>
      <div role="gridcell"><Text size="sm" truncate="end" c="dimmed">{plainReason(entry, { online, mode, delivering })}</Text></div>
    </>
  );
});

export interface QueueTableProps {
  entries: QueueEntry[];
  selected: ReadonlySet<string>;
  now: number;
  online: OnlineState | null;
  mode?: Settings['delivery']['mode'];
  delivering: ReadonlySet<string>;
  allSelected: boolean;
  onToggle(id: string): void;
  onToggleAll(): void;
  onOpen(id: string): void;
  height: number | string;
}

export function QueueTable(p: QueueTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const { entries } = p;
  // Stable callbacks matter: the virtualizer recomputes all row positions (O(n))
  // whenever they change, which on 100 000 rows would cost every scroll frame.
  const getItemKey = useCallback((i: number) => entries[i].id, [entries]);
  const getScrollElement = useCallback(() => scrollRef.current, []);
  const estimateSize = useCallback(() => ROW_HEIGHT, []);
  const virtualizer = useVirtualizer({ count: entries.length, getScrollElement, estimateSize, overscan: OVERSCAN, getItemKey });
  const header = ['', 'Queue ID', 'State', 'Age', 'Size', 'Sender', 'Recipients', 'Why'];
  return (
    <div role="grid" aria-rowcount={p.entries.length + 1} aria-label="Queued messages" data-testid="queue-grid"
      style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, overflow: 'hidden' }}>
      <div role="row" aria-rowindex={1}
        style={{ display: 'grid', gridTemplateColumns: COLUMNS, alignItems: 'center', height: ROW_HEIGHT, padding: '0 8px',
          background: 'var(--mantine-color-gray-0)', borderBottom: '1px solid var(--mantine-color-gray-3)', fontWeight: 600, fontSize: 13 }}>
        <div role="columnheader">
          <Checkbox size="xs" checked={p.allSelected} indeterminate={!p.allSelected && p.selected.size > 0}
            onChange={p.onToggleAll} aria-label="Select all shown" />
        </div>
        {header.slice(1).map((h) => <div role="columnheader" key={h}>{h}</div>)}
      </div>
      <div ref={scrollRef} style={{ height: p.height, overflow: 'auto', contain: 'strict' }} data-testid="queue-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const entry = p.entries[v.index];
            return (
              <div key={v.key} role="row" aria-rowindex={v.index + 2} data-testid="queue-row" data-id={entry.id}
                aria-selected={p.selected.has(entry.id)}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)`,
                  display: 'grid', gridTemplateColumns: COLUMNS, alignItems: 'center', padding: '0 8px', gap: 0,
                  borderBottom: '1px solid var(--mantine-color-gray-2)',
                  background: p.selected.has(entry.id) ? 'var(--mantine-color-indigo-0)' : undefined }}>
                <Row entry={entry} selected={p.selected.has(entry.id)} now={p.now} online={p.online} mode={p.mode} delivering={p.delivering.has(entry.id)} onToggle={p.onToggle} onOpen={p.onOpen} />
              </div>
            );
          })}
        </div>
        {p.entries.length === 0 && <Text c="dimmed" ta="center" p="xl" data-testid="queue-empty">The queue is empty.</Text>}
      </div>
    </div>
  );
}
