// Pieces the security pages share: the page frame with its Sendmail name, and a
// result line for the testers.
import { Badge, Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

export function SecurityPage({ title, sendmail, children }: { title: string; sendmail: ReactNode; children: ReactNode }) {
  return (
    <Stack gap="md" maw={920}>
      <div>
        <Title order={2}>{title}</Title>
        <Text size="sm" c="dimmed">{sendmail}</Text>
      </div>
      {children}
    </Stack>
  );
}

export function Verdict({ ok, label, detail, testId }: { ok: boolean; label: string; detail: string; testId?: string }) {
  return (
    <Group gap="sm" data-testid={testId}>
      <Badge color={ok ? 'teal' : 'red'} variant="light">{label}</Badge>
      <Text size="sm" ff="monospace">{detail}</Text>
    </Group>
  );
}

export { errorText } from '../../lib/errors.ts';
