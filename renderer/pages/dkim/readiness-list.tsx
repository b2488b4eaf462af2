// The readiness check's answer (EngineApi.dkimCheck) as lines: a level badge,
// what was found, and what to publish or change. Shared by the DKIM page and the
// Overview's health panel; holds no judgement of its own.
import { Badge, Code, Group, Stack, Text } from '@mantine/core';
import type { ReadinessItem } from '../../../engine/api.ts';

const COLOR = { ok: 'teal', warn: 'orange', error: 'red' } as const;

export function ReadinessList({ items, testId }: { items: ReadinessItem[]; testId?: string }) {
  return (
    <Stack gap={6} data-testid={testId}>
      {items.map((i, n) => (
        <div key={n}>
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <Badge color={COLOR[i.level]} variant="light" w={70}>{i.level === 'error' ? 'fix' : i.level}</Badge>
            <Text size="sm"><b>{i.item.toUpperCase()}</b>: {i.detail}</Text>
          </Group>
          {i.fix && <Code block mt={4} ml={78} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>{i.fix}</Code>}
        </div>
      ))}
    </Stack>
  );
}
