// The Overview's 24 h chart in plain SVG: queue size as a line, deliveries per
// hour as bars. Sampled by the renderer itself (state/history.ts).
import { Group, Text } from '@mantine/core';
import type { History } from '../state/history.ts';
import { DAY_MS } from '../state/history.ts';

const W = 720;
const H = 160;
const PAD = 28;
const HOUR_MS = 3600e3;

export function HistoryChart({ history, now }: { history: History; now: number }) {
  const from = now - DAY_MS;
  const x = (t: number): number => PAD + ((t - from) / DAY_MS) * (W - 2 * PAD);
  const hours = Array.from({ length: 24 }, (_, i) => from + i * HOUR_MS);
  const perHour = hours.map((h) => Object.entries(history.delivered)
    .filter(([k]) => Number(k) >= h && Number(k) < h + HOUR_MS).reduce((n, [, v]) => n + v, 0));
  const samples = history.samples.filter((s) => s.t >= from);
  const maxQueue = Math.max(1, ...samples.map((s) => s.queued));
  const maxDelivered = Math.max(1, ...perHour);
  const y = (v: number, max: number): number => H - PAD - (v / max) * (H - 2 * PAD);
  // Step line: the queue size holds until the next sample, then extend to now.
  const points = samples.flatMap((s, i) => {
    const next = samples[i + 1]?.t ?? now;
    return [`${x(s.t)},${y(s.queued, maxQueue)}`, `${x(next)},${y(s.queued, maxQueue)}`];
  });
  const totalDelivered = perHour.reduce((a, b) => a + b, 0);
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img"
        aria-label={`Last 24 hours: queue size up to ${maxQueue}, ${totalDelivered} deliveries`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} stroke="var(--mantine-color-gray-4)" />
        {perHour.map((n, i) => n > 0 && (
          <rect key={i} x={x(hours[i]) + 2} width={(W - 2 * PAD) / 24 - 4} y={y(n, maxDelivered)} height={H - PAD - y(n, maxDelivered)}
            fill="var(--mantine-color-teal-3)"><title>{`${n} delivered`}</title></rect>
        ))}
        {points.length > 0 && <polyline points={points.join(' ')} fill="none" stroke="var(--mantine-color-indigo-6)" strokeWidth={2} />}
        {[0, 6, 12, 18, 24].map((hAgo) => (
          <text key={hAgo} x={x(now - hAgo * HOUR_MS)} y={H - 8} fontSize={10} textAnchor="middle" fill="var(--mantine-color-dimmed)">
            {hAgo === 0 ? 'now' : `-${hAgo}h`}
          </text>
        ))}
        <text x={PAD} y={14} fontSize={10} fill="var(--mantine-color-indigo-6)">queue (max {maxQueue})</text>
        <text x={W - PAD} y={14} fontSize={10} textAnchor="end" fill="var(--mantine-color-teal-7)">deliveries/h (max {maxDelivered})</text>
      </svg>
      <Group gap="lg" justify="center">
        <Text size="xs" c="indigo">— queue size</Text>
        <Text size="xs" c="teal">▮ deliveries per hour ({totalDelivered} in 24 h)</Text>
      </Group>
    </figure>
  );
}
