// Two summaries of the queue: top recipients / domains, and a Postfix qshape-style
// table. The engine computes them over its own index (engine/queue-view.ts, asked
// through listQueuePage's `summary`); re-exported here for the page's types and
// for anyone summarising entries it already holds.
export { AGE_BUCKETS, qshape, topCounts, type ShapeRow, type Top } from '../../../engine/queue-view.ts';
