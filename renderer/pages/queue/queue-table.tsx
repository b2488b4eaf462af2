// The queue as a virtualized grid: only the rows in view are in the DOM, so
// 100 000 entries scroll as smoothly as 10 (TanStack Virtual). Rows are div-based
// with ARIA grid roles because a virtualized <table> cannot keep its layout. The
// grid holds only a window of entries (the engine sends what is in view, see
// use-queue-window.ts); rows outside it show as loading until their window arrives.
import { Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef } from 'react';
import type { OnlineState } from '../../../engine/api.ts';
import type { QueueEntry } from '../../../engine/contracts.ts';
import type { Settings } from '../../../engine/api.ts';
import { formatSize, formatSpan, senderLabel } from '../../lib/format.ts';
import { plainReason } from '../../lib/reason.ts';
import { StateBadge } from '../../components/state-badge.tsx';
import css from './queue-table.module.css';

const ROW_HEIGHT = 40;
/** Rows rendered beyond the viewport, so fast scrolling does not show blanks. */
const OVERSCAN = 12;
// Columns live in queue-table.module.css: a container query drops Age and Size,
// then Sender, when the grid is narrow (an 800 px window with the sidebar), so the
// header and the rows always share one layout and nothing overlaps.

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
  const first = pending[0]?.address ?? entry.recipients[0]?.address;
  const why = plainReason(entry, { online, mode, delivering });
  return (
    <>
      <div role="gridcell" className={css.checkCell}><input type="checkbox" className={css.check} checked={selected} onChange={() => onToggle(entry.id)} aria-label={`Select ${entry.id}`} /></div>
      <div role="gridcell" className={css.cell}>
        <button type="button" className={css.id} onClick={() => onOpen(entry.id)} aria-label={`Details of ${entry.id}`}>{entry.id}</button>
      </div>
      <div role="gridcell"><StateBadge state={entry.state} /></div>
      <div role="gridcell" className={`${css.cell} ${css.narrowHide}`}>{formatSpan(now - entry.arrivalTime)}</div>
      <div role="gridcell" className={`${css.cell} ${css.narrowHide}`}>{formatSize(entry.size)}</div>
      <div role="gridcell" className={`${css.cell} ${css.tinyHide}`} title={senderLabel(entry.sender)}>{senderLabel(entry.sender)}</div>
      <div role="gridcell" className={css.cell}>{first}{pending.length > 1 ? ` +${pending.length - 1}` : ''}</div>
      <div role="gridcell" className={`${css.cell} ${css.dim}`} title={why}>{why}</div>
    </>
  );
});

export interface QueueTableProps {
  /** Rows in the grid (every matching message). */
  count: number;
  /** The entry at a row, or null while its window is on its way. */
  rowAt(index: number): QueueEntry | null;
  /** The rows in view changed (first and last index, overscan included). */
  onRange(start: number, end: number): void;
  /** The first answer is in: only then does an empty grid mean an empty queue. */
  loaded: boolean;
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
  /** A filter is in force: an empty grid means "no match", not "empty queue". */
  filtered?: boolean;
}

export function QueueTable(p: QueueTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  // Stable callbacks matter: the virtualizer recomputes all row positions (O(n))
  // whenever they change, which on 100 000 rows would cost every scroll frame.
  // Rows are keyed by index (the default) for the same reason: the entries behind
  // them arrive in windows.
  const getScrollElement = useCallback(() => scrollRef.current, []);
  const estimateSize = useCallback(() => ROW_HEIGHT, []);
  const virtualizer = useVirtualizer({ count: p.count, getScrollElement, estimateSize, overscan: OVERSCAN, scrollMargin: ROW_HEIGHT });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const { onRange } = p;
  useEffect(() => onRange(first, last), [onRange, first, last]);
  const header: [string, string?][] = [['Queue ID'], ['State'], ['Age', css.narrowHide], ['Size', css.narrowHide], ['Sender', css.tinyHide], ['Recipients'], ['Why']];
  return (
    <div role="grid" aria-rowcount={p.count + 1} aria-label="Queued messages" data-testid="queue-grid" className={css.grid}>
      <div ref={scrollRef} style={{ height: p.height, overflow: 'auto', contain: 'strict' }} data-testid="queue-scroll">
        {/* The header scrolls with the rows (sticky at the top), so a scrollbar or a
            sideways scroll never puts its columns out of step with theirs. */}
        <div role="row" aria-rowindex={1} className={`${css.row} ${css.head}`} style={{ height: ROW_HEIGHT }}>
          <div role="columnheader" className={css.checkCell}>
            <input type="checkbox" className={css.check} checked={p.allSelected} onChange={p.onToggleAll} aria-label="Select all shown"
              ref={(el) => { if (el) el.indeterminate = !p.allSelected && p.selected.size > 0; }} />
          </div>
          {header.map(([h, cls]) => <div role="columnheader" key={h} className={cls}>{h}</div>)}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const entry = p.rowAt(v.index);
            if (!entry) {
              return (
                <div key={v.key} role="row" aria-rowindex={v.index + 2} aria-busy="true" data-testid="queue-row-loading" className={`${css.row} ${css.body}`}
                  style={{ height: ROW_HEIGHT, transform: `translateY(${v.start - ROW_HEIGHT}px)`}} />
              );
            }
            return (
              <div key={v.key} role="row" aria-rowindex={v.index + 2} data-testid="queue-row" data-id={entry.id}
                aria-selected={p.selected.has(entry.id)}
                className={`${css.row} ${css.body}${p.selected.has(entry.id) ? ` ${css.selected}` : ''}`}
                style={{ height: ROW_HEIGHT, transform: `translateY(${v.start - ROW_HEIGHT}px)`}}>
                <Row entry={entry} selected={p.selected.has(entry.id)} now={p.now} online={p.online} mode={p.mode} delivering={p.delivering.has(entry.id)} onToggle={p.onToggle} onOpen={p.onOpen} />
              </div>
            );
          })}
        </div>
        {p.loaded && p.count === 0 && (
          <Text c="dimmed" ta="center" p="xl" data-testid="queue-empty">{p.filtered ? 'No message matches the filter.' : 'Nothing here yet: the queue is empty.'}</Text>
        )}
      </div>
    </div>
  );
}
