// The Overview's "last 24 hours" in plain SVG, from the engine's per-hour history
// (EngineApi.getHistory). Two panels so that each has one unit and its own scale:
// the queue size at each hour's end (messages, a line), and messages received,
// delivered and bounced per hour (messages per hour, bars). Drawn from the hours
// alone — no clock, no browser storage — so every window draws the same picture.
import { Group, Text } from '@mantine/core';
import type { History } from '../state/history.ts';

const W = 720;
const H = 120;
const PAD_L = 44;
const PAD_R = 12;
const PAD_T = 10;
const PAD_B = 22;

const SERIES = [
  { key: 'received', label: 'received', color: 'var(--mantine-color-indigo-7)' },
  { key: 'delivered', label: 'delivered', color: 'var(--mantine-color-teal-9)' },
  { key: 'bounced', label: 'bounced', color: 'var(--mantine-color-red-8)' },
] as const;

function hourLabel(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A round number at or above n for the axis top (1, 2, 5 × 10^k). */
function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n) ?? 10 * p;
}

function Axis({ max, unit, hours }: { max: number; unit: string; hours: History }) {
  const slot = (W - PAD_L - PAD_R) / Math.max(1, hours.length);
  return (
    <>
      <line x1={PAD_L} y1={H - PAD_B} x2={W - PAD_R} y2={H - PAD_B} stroke="var(--mantine-color-gray-5)" />
      <line x1={PAD_L} y1={PAD_T} x2={PAD_L} y2={H - PAD_B} stroke="var(--mantine-color-gray-5)" />
      <text x={PAD_L - 4} y={PAD_T + 8} fontSize={10} textAnchor="end" fill="var(--mantine-color-gray-8)">{max}</text>
      <text x={PAD_L - 4} y={H - PAD_B} fontSize={10} textAnchor="end" fill="var(--mantine-color-gray-8)">0</text>
      <text x={4} y={(H - PAD_B + PAD_T) / 2} fontSize={10} fill="var(--mantine-color-gray-8)"
        transform={`rotate(-90 10 ${(H - PAD_B + PAD_T) / 2})`} textAnchor="middle">{unit}</text>
      {hours.map((h, i) => (i % 6 === 0 || i === hours.length - 1) && (
        <text key={h.hour} x={PAD_L + i * slot + slot / 2} y={H - 6} fontSize={10} textAnchor="middle" fill="var(--mantine-color-gray-8)">
          {hourLabel(h.hour)}
        </text>
      ))}
    </>
  );
}

export function HistoryChart({ history }: { history: History }) {
  if (history.length === 0) return <Text size="sm" c="dimmed">No history from the engine yet.</Text>;
  const slot = (W - PAD_L - PAD_R) / history.length;
  const y = (v: number, max: number): number => H - PAD_B - (v / max) * (H - PAD_B - PAD_T);
  const queueMax = niceMax(Math.max(...history.map((h) => h.queued)));
  const rateMax = niceMax(Math.max(...history.flatMap((h) => [h.received, h.delivered, h.bounced])));
  const points = history.map((h, i) => `${PAD_L + i * slot + slot / 2},${y(h.queued, queueMax)}`).join(' ');
  const sum = (k: 'received' | 'delivered' | 'bounced'): number => history.reduce((n, h) => n + h[k], 0);
  const barW = Math.max(1, (slot - 4) / SERIES.length);
  const now = history[history.length - 1];
  return (
    <figure style={{ margin: 0 }} data-testid="history-chart">
      <Text size="sm" fw={600}>Messages in the queue at each hour's end <Text span size="sm" c="dimmed">(now {now.queued})</Text></Text>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img"
        aria-label={`Queue size over the last ${history.length} hours: highest ${Math.max(...history.map((h) => h.queued))} messages, now ${now.queued}`}>
        <Axis max={queueMax} unit="messages" hours={history} />
        <polyline points={points} fill="none" stroke="var(--mantine-color-indigo-7)" strokeWidth={2} />
      </svg>
      <Text size="sm" fw={600} mt="xs">Messages per hour</Text>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img"
        aria-label={`Messages per hour over the last ${history.length} hours: ${sum('received')} received, ${sum('delivered')} delivered, ${sum('bounced')} bounced`}>
        <Axis max={rateMax} unit="msgs / hour" hours={history} />
        {history.map((h, i) => SERIES.map((s, j) => h[s.key] > 0 && (
          <rect key={`${h.hour}-${s.key}`} x={PAD_L + i * slot + 2 + j * barW} width={barW} y={y(h[s.key], rateMax)}
            height={H - PAD_B - y(h[s.key], rateMax)} fill={s.color}>
            <title>{`${hourLabel(h.hour)}: ${h[s.key]} ${s.label}`}</title>
          </rect>
        )))}
      </svg>
      <Group gap="lg" justify="center" data-testid="history-legend">
        {SERIES.map((s) => (
          <Text key={s.key} size="xs"><span aria-hidden style={{ color: s.color }}>■</span> {s.label} ({sum(s.key)} in {history.length} h)</Text>
        ))}
      </Group>
    </figure>
  );
}
