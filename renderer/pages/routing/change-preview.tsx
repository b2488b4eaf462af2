// "What will change": the settings section before and after the draft, as a
// small line diff (each page describes its section in Sendmail-like lines:
// "alice: \alice, alice@elsewhere.example", "old.example  esmtp:[192.0.2.10]").
// Pure display; the lines come from the page.
import { Box, Card, Text } from '@mantine/core';

export type DiffLine = { kind: 'same' | 'add' | 'remove'; text: string };

/**
 * Longest-common-subsequence line diff. Sections are small (tens of lines), so the
 * O(n·m) table is cheap; above this many cells we fall back to "all removed, all
 * added" rather than stall the page on a pasted 10 000-line aliases file.
 */
const MAX_CELLS = 250_000;

export function diffLines(before: string[], after: string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  if (n * m > MAX_CELLS) {
    return [...before.map((text) => ({ kind: 'remove' as const, text })), ...after.map((text) => ({ kind: 'add' as const, text }))];
  }
  // lcs[i][j] = LCS length of before[i..] and after[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = before[i] === after[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) { out.push({ kind: 'same', text: before[i] }); i++; j++; }
    // Removals before additions on a tie, so a changed line reads "− old" then "+ new".
    else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) out.push({ kind: 'remove', text: before[i++] });
    else out.push({ kind: 'add', text: after[j++] });
  }
  return out;
}

const STYLE = {
  add: { sign: '+', color: 'var(--mantine-color-teal-9)', bg: 'var(--mantine-color-teal-0)' },
  remove: { sign: '−', color: 'var(--mantine-color-red-9)', bg: 'var(--mantine-color-red-0)' },
  same: { sign: ' ', color: 'var(--mantine-color-dimmed)', bg: 'transparent' },
} as const;

export function ChangePreview({ before, after }: { before: string[]; after: string[] }) {
  const lines = diffLines(before, after);
  const changed = lines.filter((l) => l.kind !== 'same').length;
  return (
    <Card withBorder padding="sm" data-testid="change-preview" aria-label="What will change">
      <Text size="sm" fw={600} mb={4}>What will change {changed === 0 && <Text span c="dimmed" size="sm">(nothing)</Text>}</Text>
      <Box component="pre" m={0} style={{ fontSize: 13, lineHeight: 1.5, overflowX: 'auto' }}>
        {lines.map((l, i) => (
          <div key={i} data-diff={l.kind} style={{ color: STYLE[l.kind].color, background: STYLE[l.kind].bg, paddingInline: 6 }}>
            {STYLE[l.kind].sign} {l.text}
          </div>
        ))}
      </Box>
    </Card>
  );
}
