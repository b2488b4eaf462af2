// The Queue page's part of the EngineApi contract: the filter, the window asked
// for and the answer (counts, rows, top list, qshape table). Types and the age
// buckets only; engine/queue-view.ts computes the answers.
import type { QueueEntry, QueueId, QueueState } from '../contracts.ts';

/** What the Queue page's filter fields ask; all given parts must match (empty = everything). */
export interface QueueViewFilter {
  state?: QueueState | 'all';
  /** Substring of the sender, case-insensitive; `<>` finds the null sender (bounces, DSNs). */
  sender?: string;
  /** Substring of any pending recipient, case-insensitive. */
  recipient?: string;
  /**
   * Part of a pending recipient's domain, from a label's start: "corp.example" finds
   * "mail.corp.example", "corp" finds "corp.example", neither finds "notcorp.example".
   */
  domain?: string;
  /** Substring of the ID, sender, pending recipients, their last replies, the reason or the Message-ID. */
  text?: string;
}

export type QueueSummaryBy = 'recipient' | 'domain' | 'sender';

export interface QueuePageQuery {
  /** First matching entry to return (oldest first). Default 0. */
  offset?: number;
  /** How many matching entries to return. Default DEFAULT_LIMIT, at most MAX_LIMIT; 0 for counts only. */
  limit?: number;
  filter?: QueueViewFilter;
  /** Also return the IDs of every matching entry (the page's "select all shown"). */
  withIds?: boolean;
  /** Also return the summaries of the matching entries, the top list counted by this. */
  summary?: QueueSummaryBy;
}

export interface Top { key: string; count: number }

export interface ShapeRow { domain: string; total: number; buckets: number[] }

export interface QueueSummary { top: Top[]; shape: ShapeRow[] }

export interface QueuePage {
  /** Messages in the queue. */
  total: number;
  /** Messages matching the filter. */
  matched: number;
  /** Where `entries` starts among the matching ones (the asked offset, clamped). */
  offset: number;
  entries: QueueEntry[];
  ids?: QueueId[];
  summary?: QueueSummary;
}

/** qshape's default buckets: 5 minutes doubling ten times (qshape(1) "-b 10 -t 5"). */
export const AGE_BUCKETS = [5, 10, 20, 40, 80, 160, 320, 640, 1280];
