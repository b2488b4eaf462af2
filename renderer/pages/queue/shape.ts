// Two summaries of the queue: top recipients / domains, and a Postfix qshape-style
// table (rows: recipient domains, columns: message age in minutes, doubling
// buckets 5, 10, 20 … 1280, then older). Counts pending recipients, like qshape.
import type { QueueEntry } from '../../../engine/contracts.ts';
import { domainOf } from '../../lib/format.ts';

/** qshape's default buckets: 5 minutes doubling ten times (qshape(1) "-b 10 -t 5"). */
export const AGE_BUCKETS = [5, 10, 20, 40, 80, 160, 320, 640, 1280];

export interface Top { key: string; count: number }

export function topCounts(entries: Iterable<QueueEntry>, by: 'recipient' | 'domain' | 'sender', limit = 20): Top[] {
  const counts = new Map<string, number>();
  for (const e of entries) {
    if (by === 'sender') {
      const k = e.sender === '' ? '<>' : e.sender.toLowerCase();
      counts.set(k, (counts.get(k) ?? 0) + 1);
      continue;
    }
    for (const r of e.recipients) {
      if (r.status !== 'pending') continue;
      const k = by === 'domain' ? domainOf(r.address) || '(local)' : r.address.toLowerCase();
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)).slice(0, limit);
}

export interface ShapeRow { domain: string; total: number; buckets: number[] }

/** Rows sorted by total, TOTAL first; `buckets` has AGE_BUCKETS.length + 1 cells (the last is "older"). */
export function qshape(entries: Iterable<QueueEntry>, now: number, limit = 25): ShapeRow[] {
  const width = AGE_BUCKETS.length + 1;
  const rows = new Map<string, ShapeRow>();
  const total: ShapeRow = { domain: 'TOTAL', total: 0, buckets: new Array(width).fill(0) };
  for (const e of entries) {
    const ageMin = (now - e.arrivalTime) / 60e3;
    let b = AGE_BUCKETS.findIndex((limitMin) => ageMin < limitMin);
    if (b < 0) b = width - 1;
    for (const r of e.recipients) {
      if (r.status !== 'pending') continue;
      const d = domainOf(r.address) || '(local)';
      let row = rows.get(d);
      if (!row) rows.set(d, (row = { domain: d, total: 0, buckets: new Array(width).fill(0) }));
      row.total++;
      row.buckets[b]++;
      total.total++;
      total.buckets[b]++;
    }
  }
  return [total, ...[...rows.values()].sort((a, b) => b.total - a.total || a.domain.localeCompare(b.domain)).slice(0, limit)];
}
